"""Run the correlator: `python -m services.correlator` (SIGTERM drains and exits cleanly)."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from services.common.logging import configure_logging, get_logger
from services.correlator.app import STATE, create_app
from services.correlator.config import CorrelatorSettings


async def main() -> None:
    settings = CorrelatorSettings.from_env()
    configure_logging(settings.common.log_level, service="correlator")
    log = get_logger("services.correlator")
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("correlator listening", host=settings.host, port=settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = app[STATE]["service"]
    waiter = asyncio.create_task(service.wait())
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if waiter.done():
            waiter.result()  # a crashed part: raise, after cleanup below
    finally:
        stopper.cancel()
        await runner.cleanup()
        log.info("correlator stopped")


if __name__ == "__main__":
    asyncio.run(main())
