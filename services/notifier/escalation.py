"""The deadline worker: every interval, escalate the matches whose review is overdue.

It holds no timers: each pass asks the store which open matches are past their deadline, so
escalation survives restarts and several instances (rows are claimed with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import contextlib

from services.common.consumer import TRANSIENT
from services.common.logging import get_logger
from services.common.retry import Backoff
from services.notifier.repository import NotifierRepository
from services.notifier.routing import Router

log = get_logger(__name__)


class EscalationWorker:
    def __init__(self, router: Router, repository: NotifierRepository, interval: float) -> None:
        self._router = router
        self._repository = repository
        self._interval = interval
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        backoff = Backoff(1.0, 60.0)
        while not self._stopping.is_set():
            try:
                escalated = await self._router.escalate_overdue(self._repository)
            except TRANSIENT as exc:  # the database is away: try again later, never skip
                log.warning("deadline check failed, will retry", error=type(exc).__name__)
                await backoff.wait(self._stopping)
                continue
            backoff.reset()
            if escalated:
                log.info("overdue matches escalated", count=escalated)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
