"""The webhook deliverer: POSTs each pending notification to its subscription's endpoint,
signed (Standard Webhooks), until the receiver answers 2xx.

At least once, never lost: a delivery is leased before the POST and marked delivered after a 2xx,
so a crash in between only repeats it (with the same `webhook-id`, for the receiver to
deduplicate). A failure is logged as an attempt and retried with exponential backoff and
jitter; after a configured run of failures the endpoint is disabled, its deliveries wait, and
its owner re-enables it. Logs carry ids and status codes, never the payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from services.common.consumer import TRANSIENT
from services.common.logging import get_logger
from services.common.retry import Backoff
from services.common.tracing import activate, continue_from
from services.notifier.config import NotifierSettings
from services.notifier.domain.signing import headers as signed_headers
from services.notifier.metrics import (
    NOTIFICATIONS_DELIVERED,
    NOTIFICATIONS_FAILED,
    WEBHOOK_SECONDS,
)
from services.notifier.postgres_notifications import DELIVERIES_CHANNEL
from services.notifier.repository import DeliveryAttempt, DueDelivery, NotifierRepository

log = get_logger(__name__)
_LEASE = timedelta(minutes=2)
_BATCH = 50


def retry_delay(attempts: int, initial: float, maximum: float, rng: random.Random) -> float:
    """Seconds before attempt `attempts + 1`: exponential, capped, with +-20 % jitter."""
    base = min(maximum, initial * 2.0 ** max(0, attempts - 1))
    return base * (0.8 + 0.4 * rng.random())


class WebhookDeliverer:
    """A background worker: deliver what is due, then sleep until woken or the next poll."""

    def __init__(
        self,
        repository: NotifierRepository,
        pool: Any,
        settings: NotifierSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_interval: float = 1.0,
    ) -> None:
        self._repository = repository
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._poll = poll_interval
        self._rng = random.Random()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._settings.webhook_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session, self._pool.acquire() as conn:
            await conn.add_listener(DELIVERIES_CHANNEL, self._on_notify)
            backoff = Backoff(1.0, 60.0)
            try:
                while not self._stopping.is_set():
                    try:
                        if await self.deliver_due(session) == _BATCH:
                            continue
                    except TRANSIENT as exc:  # leased deliveries are retried after the lease
                        log.warning("webhook delivery paused", error=type(exc).__name__)
                        await backoff.wait(self._stopping)
                        continue
                    backoff.reset()
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll)
            finally:
                with contextlib.suppress(Exception):
                    await conn.remove_listener(DELIVERIES_CHANNEL, self._on_notify)

    async def deliver_due(self, session: aiohttp.ClientSession) -> int:
        """Deliver one batch of due deliveries concurrently; return how many were due."""
        now = self._clock()
        async with self._repository.transaction() as tx:
            due = await tx.claim_due_deliveries(now, now + _LEASE, _BATCH)
        await asyncio.gather(*(self._deliver(session, item) for item in due))
        return len(due)

    async def _deliver(self, session: aiohttp.ClientSession, item: DueDelivery) -> None:
        hook = item.subscription.webhook
        if hook is None:
            return
        note = item.notification
        # Each attempt is a span of the notification's trace; the receiver gets it as the
        # `traceparent` header, and this attempt's log lines carry its trace id.
        with activate(continue_from(note.payload.get("traceparent"))) as trace:
            body = json.dumps(
                {**note.payload, "seq": note.seq}, ensure_ascii=False, separators=(",", ":")
            ).encode()
            sent_at = self._clock()
            headers = signed_headers(hook.secret, note.id, int(sent_at.timestamp()), body)
            headers["content-type"] = "application/json"
            headers.update(trace.headers())
            started = time.perf_counter()
            status: int | None = None
            error: str | None = None
            try:
                async with session.post(hook.url, data=body, headers=headers) as response:
                    status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = type(exc).__name__
            elapsed = time.perf_counter() - started
            WEBHOOK_SECONDS.observe(elapsed)
            ok = status is not None and 200 <= status < 300
            (NOTIFICATIONS_DELIVERED if ok else NOTIFICATIONS_FAILED).labels("webhook").inc()
            attempt = DeliveryAttempt(note.id, item.subscription.id, item.attempts + 1, sent_at,
                                      status, error, elapsed * 1000)  # fmt: skip
            await self._record(attempt, ok)

    async def _record(self, attempt: DeliveryAttempt, ok: bool) -> None:
        now = self._clock()
        async with self._repository.transaction() as tx:
            await tx.record_attempt(attempt)
            if ok:
                await tx.delivered(attempt.notification_id, now)
                disabled = False
            else:
                s = self._settings
                delay = retry_delay(attempt.attempt, s.webhook_retry_initial_seconds,
                                    s.webhook_retry_max_seconds, self._rng)  # fmt: skip
                disabled = await tx.failed(
                    attempt.notification_id,
                    now + timedelta(seconds=delay),
                    s.webhook_disable_after,
                    now,
                )
        log.info(
            "webhook delivered" if ok else "webhook delivery failed",
            notification_id=attempt.notification_id,
            subscription_id=attempt.subscription_id,
            attempt=attempt.attempt,
            status_code=attempt.status_code,
            error=attempt.error,
        )
        if disabled:
            log.warning("webhook endpoint disabled after repeated failures",
                        subscription_id=attempt.subscription_id)  # fmt: skip
