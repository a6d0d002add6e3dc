"""The `kinlink` command: one entry point for operating, testing and scripting Kinlink."""

from __future__ import annotations

import click


@click.group()
def main() -> None:
    """Kinlink: alert network for missing migrant children."""


if __name__ == "__main__":
    main()
