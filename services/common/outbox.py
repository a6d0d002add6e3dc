"""Transactional outbox: write events with the state change, publish them afterwards.

`enqueue` runs inside the caller's transaction. The relay publishes unsent rows in id order
(so in order per key) with the idempotent producer, waits for the broker's acknowledgements,
and only then marks them sent. If the relay dies between the two, the rows are sent again:
consumers drop the duplicates by event id (inbox). One relay per schema publishes at a time,
serialised by a PostgreSQL advisory lock, so order holds with several service instances.

`RelayRunner` is the worker every service runs: it waits for Kafka if it is down at start-up,
then keeps the relay publishing until stopped. The backlog gauges live in `outbox_backlog`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError

from services.common.config import CommonSettings
from services.common.envelope import CloudEvent, from_structured, to_structured
from services.common.logging import get_logger
from services.common.metrics import OUTBOX_PUBLISHED
from services.common.outbox_backlog import record_backlog_metrics
from services.common.outbox_recovery import already_published
from services.common.producer import EventProducer
from services.common.retry import Backoff
from services.common.schema_registry import SchemaRegistry
from services.common.tracing import stamp

log = get_logger(__name__)
PURGE_EVERY_SECONDS = 300.0
# Told of each batch once Kafka acknowledged it (a service's own metrics, e.g. proposals).
PublishedHook = Callable[[Sequence[CloudEvent]], None]
# The database restarting or unreachable: every session is gone, the advisory lock with it.
DATABASE_AWAY = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InterfaceError,
)


def channel_name(schema: str) -> str:
    return f"kinlink_outbox_{schema}"


async def enqueue(
    conn: asyncpg.Connection,
    schema: str,
    event: CloudEvent,
    topic: str,
    *,
    registry: SchemaRegistry,
) -> None:
    """Add an event to `schema`'s outbox; `topic` is the physical topic name.

    Call inside the transaction that changes the state: the event exists if and only if the
    change does. The NOTIFY is delivered at commit and wakes the relay at once. The event is
    validated here, once: an invalid one (a bug) fails the transaction instead of blocking the
    outbox later, and the relay need not validate again. The event carries the current span
    as its `traceparent` (services.common.tracing), unless it names one itself.
    """
    event = stamp(event)
    registry.check_data(event.type, event.data)
    # One round trip: the row and the notification (pg_notify is NOTIFY as a function).
    await conn.execute(
        "WITH queued AS ("
        f' INSERT INTO "{schema}".outbox (topic, event_key, event_id, event)'
        " VALUES ($1, $2, $3, $4) RETURNING id)"
        " SELECT pg_notify($5, '') FROM queued",
        topic,
        event.key,
        event.id,
        to_structured(event),
        channel_name(schema),
    )


class OutboxRelay:
    """Background task publishing one schema's outbox to Kafka."""

    def __init__(
        self,
        pool: Any,
        schema: str,
        producer: EventProducer,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        keep_sent_for: timedelta = timedelta(days=7),
        on_published: PublishedHook | None = None,
    ) -> None:
        self._pool = pool
        self._on_published = on_published
        self._schema = schema
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._keep_sent_for = keep_sent_for
        self._last_purge = 0.0
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        # Rows a previous holder of the lock, or a failed batch, may have published already.
        self._in_doubt = True
        self._lock_key = int.from_bytes(
            hashlib.sha256(f"outbox:{schema}".encode()).digest()[:8], "big", signed=True
        )

    def stop(self) -> None:
        """Finish the batch in hand (drain) and return from `run`."""
        self._stopping.set()
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped. When the database goes away (a restart cuts every session,
        the advisory lock's included) the relay takes the lock again once it is back: it
        must not publish without it, or two instances could interleave and break the order."""
        backoff = Backoff(0.5, 10.0)
        while True:
            try:
                await self._run_locked()
                return
            except DATABASE_AWAY as exc:
                if self._stopping.is_set():
                    return  # nothing can be drained without the database
                delay = backoff.next_delay()
                log.warning("outbox relay lost the database, will retry", schema=self._schema,
                            error=type(exc).__name__, retry_in=round(delay, 2))  # fmt: skip
                await self._sleep(delay)

    async def _run_locked(self) -> None:
        self._in_doubt = True  # whoever held the lock before may have died mid-batch
        async with self._pool.acquire() as lock_conn:
            # Try the lock at least once even if already told to stop, so that a relay stopped
            # before it got going still drains what is pending (graceful shutdown).
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                if self._stopping.is_set():
                    return
                await self._sleep(self._poll_interval)
            await lock_conn.add_listener(channel_name(self._schema), self._on_notify)
            try:
                await self._loop(lock_conn)
            finally:
                with contextlib.suppress(Exception):
                    await lock_conn.remove_listener(channel_name(self._schema), self._on_notify)
                    await lock_conn.execute("SELECT pg_advisory_unlock($1)", self._lock_key)

    async def _loop(self, lock_conn: asyncpg.Connection) -> None:
        backoff = Backoff(0.5, 10.0)
        while True:
            if lock_conn.is_closed():  # the lock went with its session: take it again
                raise asyncpg.exceptions.ConnectionDoesNotExistError("advisory lock lost")
            try:
                sent = await self.publish_pending()
                backoff.reset()
            except (TimeoutError, KafkaError, OSError) as exc:
                self._in_doubt = True  # some of the batch may have been acknowledged
                delay = backoff.next_delay()
                log.warning(
                    "outbox publish failed, will retry",
                    schema=self._schema,
                    error=type(exc).__name__,
                    retry_in=round(delay, 2),
                )
                await self._sleep(delay)
                continue
            if sent == self._batch_size:
                continue  # more are waiting
            if self._stopping.is_set():
                return
            await self._sleep(self._poll_interval)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows in id order; return how many were published."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f'SELECT id, topic, event FROM "{self._schema}".outbox'
                " WHERE sent_at IS NULL ORDER BY id LIMIT $1",
                self._batch_size,
            )
            if rows and self._in_doubt:
                rows = await self._skip_published(conn, rows)
            if rows:
                events = [from_structured(row["event"]) for row in rows]
                await self._producer.send_many(
                    [(event, row["topic"]) for event, row in zip(events, rows, strict=True)],
                    validate=False,  # validated by `enqueue` in the writing transaction
                )
                await conn.execute(
                    f'UPDATE "{self._schema}".outbox SET sent_at = now()'
                    " WHERE id = ANY($1::bigint[])",
                    [row["id"] for row in rows],
                )
                OUTBOX_PUBLISHED.labels(self._schema).inc(len(rows))
                if self._on_published is not None:
                    self._on_published(events)
            await self._record_backlog(conn)
            return len(rows)

    async def _skip_published(self, conn: asyncpg.Connection, rows: list[Any]) -> list[Any]:
        """Mark the rows already in Kafka as sent; return the others (see outbox_recovery)."""
        found = set(
            await already_published(
                self._producer.bootstrap,
                rows,
                self._producer.partitions_for,
                self._producer.client_options(),
            )
        )
        if found:
            await conn.execute(
                f'UPDATE "{self._schema}".outbox SET sent_at = now() WHERE id = ANY($1::bigint[])',
                sorted(found),
            )
            log.warning("outbox rows found already published, not sent again",
                        schema=self._schema, rows=len(found))  # fmt: skip
        self._in_doubt = False
        return [row for row in rows if row["id"] not in found]

    async def _record_backlog(self, conn: asyncpg.Connection) -> None:
        await record_backlog_metrics(conn, self._schema)
        if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
            self._last_purge = time.monotonic()
            await conn.execute(
                f'DELETE FROM "{self._schema}".outbox WHERE sent_at < now() - $1::interval',
                self._keep_sent_for,
            )


class RelayRunner:
    """The outbox worker of one service: waits for Kafka if it is down at start-up, then
    publishes until stopped, finishing the batch in hand."""

    def __init__(
        self,
        pool: Any,
        schema: str,
        settings: CommonSettings,
        registry: SchemaRegistry,
        *,
        client_id: str,
        poll_interval: float = 1.0,
        on_published: PublishedHook | None = None,
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._on_published = on_published
        self._settings = settings
        self._registry = registry
        self._client_id = client_id
        self._poll_interval = poll_interval
        self._stopping = asyncio.Event()
        self._relay: OutboxRelay | None = None

    def stop(self) -> None:
        self._stopping.set()
        if self._relay is not None:
            self._relay.stop()

    async def run(self) -> None:
        backoff = Backoff(0.5, 10.0)
        while not self._stopping.is_set():
            producer = EventProducer(self._settings, self._registry, client_id=self._client_id)
            try:
                await producer.start()
            except (KafkaError, OSError) as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                log.warning("kafka unavailable for the outbox relay", error=type(exc).__name__)
                await backoff.wait(self._stopping)
                continue
            try:
                self._relay = OutboxRelay(
                    self._pool,
                    self._schema,
                    producer,
                    poll_interval=self._poll_interval,
                    on_published=self._on_published,
                )
                if self._stopping.is_set():
                    self._relay.stop()
                await self._relay.run()
            finally:
                await producer.stop()
            return
