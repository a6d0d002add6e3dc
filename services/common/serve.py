"""Run a service's aiohttp app as a process: until SIGTERM/SIGINT, or until a worker crashes.

On a signal the server stops accepting connections, lets in-flight requests finish (up to the
shutdown grace), then the app's cleanup context drains its workers and closes its pools. After a
worker crash the same shutdown runs and the process exits with status 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from typing import NoReturn, Protocol

from aiohttp import web

from services.common.config import CommonSettings
from services.common.http_server import HTTP_LIMITS
from services.common.logging import configure_logging, get_logger
from services.common.production import ProductionRefused, production_refusals
from services.common.workers import WORKERS

log = get_logger(__name__)


async def _serve(app: web.Application, host: str, port: int, shutdown_grace: float) -> bool:
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=shutdown_grace,
        access_log=None,
        **HTTP_LIMITS,
    )
    await runner.setup()
    crashed = False
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        log.info("listening", host=host, port=port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        waits = [asyncio.create_task(stop.wait())]
        workers = app.get(WORKERS)
        if workers is not None:
            waits.append(asyncio.create_task(workers.crashed.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        crashed = workers is not None and workers.crashed.is_set()
        for waiting in waits:
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
    finally:
        await runner.cleanup()
        log.info("stopped", crashed=crashed)
    return crashed


class ServiceSettings(Protocol):
    """What `serve` reads of a service's (frozen) settings."""

    @property
    def common(self) -> CommonSettings: ...

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def shutdown_grace_seconds(self) -> float: ...


def serve(service: str, settings: ServiceSettings, make_app: Callable[[], web.Application]) -> None:
    """Log as `service`, serve the app `make_app` builds where the settings say; exit with
    status 2 if production refuses the settings (before anything is built), 1 if a background
    worker crashed. Every service's `__main__` is this one call."""
    configure_logging(settings.common.log_level, service=service)
    refusals = production_refusals(
        settings.common, getattr(settings, "auth", None), getattr(settings, "cors_origins", ())
    )
    if refusals:
        _refuse(service, refusals)
    app = make_app()
    try:
        crashed = asyncio.run(
            _serve(app, settings.host, settings.port, settings.shutdown_grace_seconds)
        )
    except ProductionRefused as refused:  # found once connected (the database role)
        _refuse(service, refused.refusals)
    if crashed:
        sys.exit(1)


def _refuse(service: str, refusals: list[str]) -> NoReturn:
    for refusal in refusals:
        log.error("refusing to start", reason=refusal)
        print(f"kinlink {service}: refusing to start: {refusal}", file=sys.stderr)
    sys.exit(2)
