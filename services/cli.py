"""The `kinlink` command: one entry point for operating, testing and scripting Kinlink.

Subcommands are imported lazily so that `kinlink validate` does not pay for Kafka clients.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


class _LazyGroup(click.Group):
    """Commands defined in other modules, imported only when run or listed."""

    _lazy: dict[str, tuple[str, str]] = {
        "up": ("services.devstack.cli", "up"),
        "down": ("services.devstack.cli", "down"),
        "status": ("services.devstack.cli", "status"),
        "demo": ("services.demo.command", "demo"),
        "infra": ("services.devstack.infra_cli", "infra"),
        "migrate": ("services.common.schema_cli", "migrate"),
        "match": ("services.correlator.match_cli", "match"),
        "scenario": ("services.lab.scenario.cli", "scenario"),
        "bench": ("services.lab.bench.cli", "bench"),
        "chaos": ("services.lab.chaos.cli", "chaos"),
        "fit": ("services.lab.fit_cli", "fit"),
        "token": ("services.intake.cli", "token"),
        "alert": ("services.intake.cli", "alert"),
        "registration": ("services.intake.cli", "registration"),
        "sighting": ("services.intake.cli", "sighting"),
        "retention": ("services.intake.retention.cli", "retention"),
        "audit": ("services.dataprotection.cli", "audit"),
        "subject-access": ("services.dataprotection.cli", "subject_access"),
        "pfif": ("services.intake.pfif_cli", "pfif"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            import importlib

            module_name, attr = self._lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup)
def main() -> None:
    """Kinlink: alert network for missing migrant children."""


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Print only the invalid lines.")
def validate(path: Path, quiet: bool) -> None:
    """Check a JSONL file of structured-mode CloudEvents against the schemas.

    Every invalid line is reported with the JSON pointer and reason of each problem; the exit
    status is 1 if any line is invalid, 0 otherwise.
    """
    from services.common.schema_registry import SchemaRegistry
    from services.common.validate_file import check_lines

    registry = SchemaRegistry.load()
    total = invalid = 0
    for report in check_lines(path, registry):
        total += 1
        label = f"line {report.line}" + (
            f" ({report.event_type} {report.event_id})" if report.event_id else ""
        )
        if report.problems:
            invalid += 1
            click.echo(f"{label}: INVALID")
            for problem in report.problems:
                click.echo(f"    {problem.pointer or '/'}: {problem.message}")
        elif not quiet:
            click.echo(f"{label}: ok")
    click.echo(f"{total - invalid} valid, {invalid} invalid, {total} events in {path}")
    sys.exit(1 if invalid else 0)


if __name__ == "__main__":
    main()
