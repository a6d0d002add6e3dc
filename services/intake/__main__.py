"""`python -m services.intake`: serve intake until SIGTERM/SIGINT.

On a signal the server stops accepting connections, lets in-flight requests finish (up to
KINLINK_INTAKE_SHUTDOWN_GRACE seconds), then the cleanup context drains the outbox relay. A
crashed relay (a bug) stops the process with status 1 so that it is restarted.
"""

from __future__ import annotations

from services.common.serve import serve
from services.intake.app import create_app
from services.intake.config import IntakeSettings


def main() -> None:
    settings = IntakeSettings.from_env()
    serve("intake", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
