"""`python -m services.notifier`: serve until SIGTERM/SIGINT (drains, then exits cleanly), or
until a background worker crashes (exits 1 so that it is restarted)."""

from __future__ import annotations

from services.common.logging import configure_logging
from services.common.serve import serve
from services.notifier.app import create_app
from services.notifier.config import NotifierSettings


def main() -> None:
    settings = NotifierSettings.from_env()
    configure_logging(settings.common.log_level, service="notifier")
    serve(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        shutdown_grace=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    main()
