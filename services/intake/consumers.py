"""Intake's Kafka adapter: the one event type intake consumes, `match.reviewed`, goes to the PFIF
use cases (confirmed matches become PFIF links). Nothing else.

The consumer runner (services.common.consumer) decodes, validates, claims the event in the inbox
and opens the transaction. Intake must keep serving with Kafka down, so `ReviewsConsumer` waits
for the broker (with backoff) instead of crashing the process when it cannot join the group.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from aiokafka.errors import KafkaConnectionError

from services.common.catalog import MATCH_REVIEWED, REVIEWS
from services.common.consumer import ConsumerRunner
from services.common.envelope import CloudEvent
from services.common.logging import get_logger
from services.common.producer import EventProducer
from services.common.retry import Backoff
from services.common.schema_registry import SchemaRegistry
from services.intake.config import SCHEMA, IntakeSettings
from services.intake.pfif_cases import PfifCases
from services.intake.postgres import PostgresIntakeRepository
from services.intake.repository import IntakeTransaction

TOPICS = (REVIEWS,)
log = get_logger(__name__)


async def dispatch(cases: PfifCases, event: CloudEvent, tx: IntakeTransaction) -> None:
    if event.type == MATCH_REVIEWED:
        await cases.review_recorded(event.data, tx)
    # Other types on this topic carry nothing for intake.


class EventDispatcher:
    def __init__(self, cases: PfifCases, repository: PostgresIntakeRepository) -> None:
        self._cases = cases
        self._repository = repository

    async def handle(self, event: CloudEvent, conn: asyncpg.Connection) -> None:
        await dispatch(self._cases, event, self._repository.in_transaction(conn))


class ReviewsConsumer:
    """The consumer group member, started once the broker answers; stops on `stop()`."""

    def __init__(
        self,
        settings: IntakeSettings,
        registry: SchemaRegistry,
        pool: object,
        dispatcher: EventDispatcher,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._pool = pool
        self._dispatcher = dispatcher
        self._stopping = asyncio.Event()
        self._runner: ConsumerRunner | None = None

    def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            self._runner.stop()

    async def run(self) -> None:
        common = self._settings.common
        backoff = Backoff(1.0, 30.0)
        while not self._stopping.is_set():
            dlq = EventProducer(common, self._registry, client_id=f"{self._settings.group_id}-dlq")
            try:
                await dlq.start()
            except KafkaConnectionError:
                await self._pause(backoff.next_delay())
                continue
            try:
                self._runner = ConsumerRunner(
                    settings=common,
                    group_id=self._settings.group_id,
                    topics=TOPICS,
                    handler=self._dispatcher.handle,
                    pool=self._pool,
                    schema=SCHEMA,
                    registry=self._registry,
                    dlq=dlq,
                )
                if self._stopping.is_set():
                    return
                await self._runner.run()
                return
            except KafkaConnectionError:
                log.warning("reviews consumer cannot reach Kafka, retrying")
                await self._pause(backoff.next_delay())
            finally:
                await dlq.stop()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
