"""`python -m services.correlator`: serve until SIGTERM/SIGINT (drains, then exits cleanly), or
until a background worker crashes (exits 1 so that it is restarted)."""

from __future__ import annotations

from services.common.serve import serve
from services.correlator.app import create_app
from services.correlator.config import CorrelatorSettings


def main() -> None:
    settings = CorrelatorSettings.from_env()
    serve("correlator", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
