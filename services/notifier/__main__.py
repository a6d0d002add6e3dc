"""`python -m services.notifier`: serve until SIGTERM/SIGINT (drains, then exits cleanly), or
until a background worker crashes (exits 1 so that it is restarted)."""

from __future__ import annotations

from services.common.serve import serve
from services.notifier.app import create_app
from services.notifier.config import NotifierSettings


def main() -> None:
    settings = NotifierSettings.from_env()
    serve("notifier", settings, lambda: create_app(settings))


if __name__ == "__main__":
    main()
