"""`python -m services.intake`: serve intake until SIGTERM/SIGINT.

On a signal, aiohttp stops accepting connections, lets in-flight requests finish (up to
KINLINK_INTAKE_SHUTDOWN_GRACE seconds), then the cleanup context drains the outbox relay.
"""

from __future__ import annotations

from aiohttp import web

from services.common.logging import configure_logging, get_logger
from services.intake.app import create_app
from services.intake.config import IntakeSettings


def main() -> None:
    settings = IntakeSettings.from_env()
    configure_logging(settings.common.log_level, service="intake")
    get_logger(__name__).info("intake starting", host=settings.host, port=settings.port)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        shutdown_timeout=settings.shutdown_grace_seconds,
        handle_signals=True,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
