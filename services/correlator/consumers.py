"""The correlator's Kafka adapter: which use case each event type goes to (nothing else).

The consumer runner (services.common.consumer) decodes, validates, claims the event in the
inbox and opens the transaction; `EventDispatcher.handle` hands the event's data to the use case
with the store bound to that transaction.
"""

from __future__ import annotations

import asyncpg

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    ALERTS,
    MATCH_REVIEWED,
    REGISTRATIONS,
    REVIEWS,
    SIGHTINGS,
)
from services.common.envelope import CloudEvent
from services.correlator.domain.model import OBSERVATION_EVENT_KINDS
from services.correlator.handlers import CorrelatorHandlers
from services.correlator.repository import PostgresCorrelatorRepository

TOPICS = (ALERTS, REGISTRATIONS, SIGHTINGS, REVIEWS)


class EventDispatcher:
    def __init__(
        self, handlers: CorrelatorHandlers, repository: PostgresCorrelatorRepository
    ) -> None:
        self._handlers = handlers
        self._repository = repository

    async def handle(self, event: CloudEvent, conn: asyncpg.Connection) -> None:
        tx = self._repository.in_transaction(conn)
        data = event.data
        if event.type == ALERT_PUBLISHED:
            await self._handlers.alert_published(data, event.time, tx)
        elif event.type == ALERT_UPDATED:
            await self._handlers.alert_updated(data, tx)
        elif event.type == ALERT_RESOLVED:
            await self._handlers.alert_resolved(data, tx)
        elif event.type in OBSERVATION_EVENT_KINDS:
            kind = OBSERVATION_EVENT_KINDS[event.type]
            await self._handlers.observation_reported(kind, data, event.time, tx)
        elif event.type == MATCH_REVIEWED:
            await self._handlers.match_reviewed(data, tx)
        # Other types on these topics carry nothing for the correlator to apply.
