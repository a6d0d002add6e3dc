"""The consumer runner every service uses: decode, validate, apply once, then commit.

For each record:
1. decode the binary-mode CloudEvent and validate its data against the schema of its type
   (services.common.triage, pure); a record that fails either goes to the dead-letter topic
   (reason and origin in headers) and is committed, and the runner carries on;
2. in one PostgreSQL transaction, claim the event id in the inbox and run the handler; a
   redelivered event finds its id claimed and changes nothing;
3. commit the offset only after that transaction committed.
Transient failures (database or broker unreachable) are retried with capped backoff; a handler's
`RejectEvent` (well-formed, but bad data) is dead-lettered with its message; any other
exception is a bug and stops the runner loudly rather than skipping the record.

Each record is handled in a child span of the trace it carries (`ce_traceparent`), so its log
lines and the events it causes share the producer's trace id; consumer lag is reported by
`services.common.consumer_lag`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError, KafkaError

from services.common.catalog import DLQ
from services.common.config import CommonSettings
from services.common.consumer_lag import ConsumerLag, record_type, trace_of_record
from services.common.dead_letters import dead_letter
from services.common.envelope import CloudEvent
from services.common.errors import RejectEvent
from services.common.inbox import claim
from services.common.kafka_access import start_client
from services.common.logging import get_logger
from services.common.metrics import (
    CONSUMED,
    DEAD_LETTERED,
    PROCESSING_SECONDS,
    UNKNOWN_TYPE,
    metric_type,
)
from services.common.producer import EventProducer
from services.common.retry import Backoff
from services.common.schema_registry import SchemaRegistry
from services.common.tracing import activate as activate_trace
from services.common.triage import Refuse, triage

Handler = Callable[[CloudEvent, asyncpg.Connection], Awaitable[None]]
log = get_logger(__name__)

# What a database or broker that is away (restarting, failing over) raises. PostgreSQL's
# operator interventions are among them: a restart cuts every session with AdminShutdownError
# and refuses new ones with CannotConnectNowError until it is back.
TRANSIENT = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    KafkaConnectionError,
)


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._runner.commit_pending(set(revoked))
        self._runner.lag.forget(revoked)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        return None


class ConsumerRunner:
    """Runs one consumer group member until `stop()` (SIGTERM) or a bug."""

    def __init__(
        self,
        *,
        settings: CommonSettings,
        group_id: str,
        topics: Sequence[str],
        handler: Handler,
        pool: Any,
        schema: str,
        registry: SchemaRegistry,
        dlq: EventProducer,
        max_records: int = 200,
        max_backoff: float = 10.0,
        lag_interval: float = 5.0,
    ) -> None:
        self._settings = settings
        self._group_id = group_id
        self._topics = [settings.topic(t) for t in topics]
        self._handler = handler
        self._pool = pool
        self._schema = schema
        self._registry = registry
        self._dlq = dlq
        self._max_records = max_records
        self._max_backoff = max_backoff
        self._pending: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=group_id,
            client_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            **settings.kafka_client_options(),
        )
        self.lag = ConsumerLag(self._consumer, group_id, lag_interval)

    def stop(self) -> None:
        """Finish the record in hand, commit, and leave the group."""
        self._stopping.set()

    async def run(self) -> None:
        self._consumer.subscribe(self._topics, listener=_CommitOnRevoke(self))
        await start_client(
            self._consumer, self._settings.kafka_bootstrap, self._settings.kafka_client_options()
        )
        log.info("consumer started", group=self._group_id, topics=self._topics)
        lag = asyncio.create_task(self.lag.run(self._stopping), name=f"lag-{self._group_id}")
        try:
            while not self._stopping.is_set():
                batches = await self._consumer.getmany(
                    timeout_ms=500, max_records=self._max_records
                )
                for tp, records in batches.items():
                    for record in records:
                        if self._stopping.is_set():
                            break
                        await self._process(record)
                        self._pending[tp] = record.offset + 1
                await self.commit_pending(None)
        finally:
            lag.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lag
            await self.commit_pending(None)
            await self._consumer.stop()
            log.info("consumer stopped", group=self._group_id)

    async def commit_pending(self, only: set[TopicPartition] | None) -> None:
        offsets = {tp: off for tp, off in self._pending.items() if only is None or tp in only}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The group moved on; the next owner redelivers, and the inbox makes that harmless.
            log.warning("offset commit failed", group=self._group_id, error=type(exc).__name__)
        else:
            self.lag.committed(offsets)
        for tp in offsets:
            if self._pending.get(tp) == offsets[tp]:
                del self._pending[tp]

    async def _process(self, record: Any) -> None:
        started = time.perf_counter()
        headers = record.headers or ()
        # Each record is a span of the producer's trace: every line logged while it is handled,
        # and every event it causes, carry the trace id (services.common.tracing).
        with (
            activate_trace(trace_of_record(headers)),
            structlog.contextvars.bound_contextvars(group=self._group_id),
        ):
            outcome = await self._decode_and_apply(record)
            elapsed = time.perf_counter() - started
            PROCESSING_SECONDS.labels(self._group_id).observe(elapsed)
            if outcome is not None:
                CONSUMED.labels(self._group_id, outcome.type).inc()
                # DEBUG: one line per event is too much at volume; what an event changed (a
                # proposal, a notification) is logged at INFO by its use case, in the same trace.
                log.debug(
                    "event processed",
                    event_id=outcome.id,
                    event_type=outcome.type,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    duration_ms=round(elapsed * 1000, 2),
                )

    async def _decode_and_apply(self, record: Any) -> CloudEvent | None:
        """The event applied, or None if the record was dead-lettered."""
        verdict = triage(record.key, record.value, record.headers, self._registry)
        if isinstance(verdict, Refuse):
            await self._dead_letter(
                record, verdict.reason, verdict.error_class, record_type(record.headers or ())
            )
            return None
        event = verdict.event
        try:
            with structlog.contextvars.bound_contextvars(event_id=event.id, event_type=event.type):
                await self._apply_with_retry(event)
        except RejectEvent as exc:
            await self._dead_letter(record, f"rejected: {exc}", "rejected", event.type)
            return None
        return event

    async def _apply_with_retry(self, event: CloudEvent) -> None:
        backoff = Backoff(0.2, self._max_backoff)
        while True:
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    if await claim(conn, self._schema, self._group_id, event.id, event.type):
                        await self._handler(event, conn)
                    else:
                        log.info("duplicate event ignored", event_id=event.id, group=self._group_id)
                return
            except asyncpg.exceptions.DataError:
                # Valid by its schema, yet PostgreSQL cannot store it (a NUL or a lone surrogate
                # in free text): bad data, not a bug. The database's message quotes the data, so
                # neither it nor the traceback is kept.
                raise RejectEvent("the event holds text the database cannot store") from None
            except TRANSIENT as exc:
                if self._stopping.is_set():
                    raise
                delay = backoff.next_delay()
                log.warning(
                    "transient failure, retrying",
                    event_id=event.id,
                    error=type(exc).__name__,
                    retry_in=round(delay, 2),
                )
                await asyncio.sleep(delay)

    async def _dead_letter(
        self, record: Any, reason: str, error_class: str, ce_type: str = UNKNOWN_TYPE
    ) -> None:
        letter = dead_letter(
            record, reason=reason, error_class=error_class, consumer=self._group_id
        )
        await self._dlq.send_raw(
            self._settings.topic(DLQ), letter.key, letter.value, letter.headers
        )
        DEAD_LETTERED.labels(self._group_id, metric_type(ce_type), error_class).inc()
        log.warning(
            "record dead-lettered",
            group=self._group_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error_class=error_class,
        )

