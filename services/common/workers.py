"""Long-running background work an app owns: consumers, outbox relays, schedulers.

Workers start in the app's cleanup context and drain in start order on shutdown, each finishing
what it holds before the next is told to stop (a consumer commits its last event before the
relay publishes the last outbox rows). A worker that raises is a bug: it is logged loudly,
/readyz reports it down, and `serve` stops the process with a non-zero status so that the
orchestrator restarts it, rather than leaving a service that silently stopped working.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from aiohttp import web

from services.common.http_server import ReadinessCheck
from services.common.logging import get_logger

log = get_logger(__name__)


class Worker(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None:
        """Finish the work in hand, then return from `run`."""


class Workers:
    """The background tasks of one service instance."""

    def __init__(self) -> None:
        self._running: list[tuple[str, Worker, asyncio.Task[None]]] = []
        self.crashed = asyncio.Event()

    def start(self, name: str, worker: Worker) -> None:
        task = asyncio.create_task(worker.run(), name=name)
        task.add_done_callback(lambda done: self._report(name, done))
        self._running.append((name, worker, task))

    def _report(self, name: str, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.critical("background worker crashed", worker=name, exc_info=task.exception())
            self.crashed.set()

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        """One check per worker: up while it runs."""
        return {name: _running_check(task) for name, _, task in self._running}

    async def drain(self, grace: float) -> None:
        """Stop the workers in start order, each within what is left of `grace` seconds; one
        that does not finish in time is cancelled (what it held is redone after restart)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        for name, worker, task in self._running:
            worker.stop()
            # asyncio.wait, not wait_for: a crash was already reported by the callback.
            await asyncio.wait([task], timeout=max(0.1, deadline - loop.time()))
            if not task.done():
                task.cancel()
                await asyncio.wait([task])  # let it close its clients
                log.warning("background worker did not drain in time", worker=name)
        self._running.clear()


def _running_check(task: asyncio.Task[None]) -> ReadinessCheck:
    async def running() -> bool:
        return not task.done()

    return running


WORKERS: web.AppKey[Workers] = web.AppKey("workers", Workers)
