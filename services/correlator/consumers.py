"""The correlator's Kafka adapter: which use case each event type goes to (nothing else).

The consumer runner (services.common.consumer) decodes, validates, claims the event in the
inbox and opens the transaction; `EventDispatcher.handle` binds the store to that transaction and
`dispatch` hands the event's data to its use case (unit tests call `dispatch` on a fake store).
"""

from __future__ import annotations

import asyncpg

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    ALERTS,
    ERASED_TYPES,
    MATCH_REVIEWED,
    REGISTRATIONS,
    REVIEWS,
    SIGHTINGS,
)
from services.common.envelope import CloudEvent
from services.correlator.domain.model import OBSERVATION_EVENT_KINDS
from services.correlator.handlers import CorrelatorHandlers
from services.correlator.postgres import PostgresCorrelatorRepository
from services.correlator.repository import CorrelatorTransaction

TOPICS = (ALERTS, REGISTRATIONS, SIGHTINGS, REVIEWS)


async def dispatch(
    handlers: CorrelatorHandlers, event: CloudEvent, tx: CorrelatorTransaction
) -> None:
    data = event.data
    if event.type == ALERT_PUBLISHED:
        await handlers.alert_published(data, event.time, tx)
    elif event.type == ALERT_UPDATED:
        await handlers.alert_updated(data, tx)
    elif event.type == ALERT_RESOLVED:
        await handlers.alert_resolved(data, tx)
    elif event.type in OBSERVATION_EVENT_KINDS:
        kind = OBSERVATION_EVENT_KINDS[event.type]
        await handlers.observation_reported(kind, data, event.time, tx)
    elif event.type == MATCH_REVIEWED:
        await handlers.match_reviewed(data, tx)
    # Other types on these topics carry nothing for the correlator to apply.


class EventDispatcher:
    def __init__(
        self, handlers: CorrelatorHandlers, repository: PostgresCorrelatorRepository
    ) -> None:
        self._handlers = handlers
        self._repository = repository

    async def handle(self, event: CloudEvent, conn: asyncpg.Connection) -> None:
        tx = self._repository.in_transaction(conn)
        if event.type in _ERASED:
            # Erasure needs the PostgreSQL store's erasure SQL (ErasureTransaction).
            await self._handlers.record_erased(_ERASED[event.type], event.data, event.id, tx)
        else:
            await dispatch(self._handlers, event, tx)


_ERASED = {ce_type: record_type for record_type, ce_type in ERASED_TYPES.items()}
