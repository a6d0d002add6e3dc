"""The retention job as a background worker of intake: one run at start, then one every
interval, until stopped (services.common.workers). A run that fails on the database is retried
at the next interval; anything else is a bug and crashes the worker loudly."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from services.common.logging import get_logger
from services.intake.retention.job import RetentionJob

log = get_logger(__name__)


class RetentionWorker:
    def __init__(self, job: RetentionJob, interval_seconds: float) -> None:
        self._job = job
        self._interval = interval_seconds
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._job.run()
            except (OSError, asyncpg.exceptions.PostgresConnectionError,
                    asyncpg.exceptions.InterfaceError) as exc:
                log.warning("retention run failed; retrying at the next interval",
                            error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)

    def stop(self) -> None:
        self._stopping.set()
