"""The deadline worker: every interval, escalate the matches whose review is overdue.

It holds no timers: each pass asks the store which open matches are past their deadline, so
escalation survives restarts and several instances (rows are claimed with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import contextlib

from services.common.logging import get_logger
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
        while not self._stopping.is_set():
            escalated = await self._router.escalate_overdue(self._repository)
            if escalated:
                log.info("overdue matches escalated", count=escalated)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
