"""The notifier's Kafka adapter: which use case each event type goes to (nothing else).

The consumer runner (services.common.consumer) decodes, validates, claims the event in the
inbox and opens the transaction; `EventDispatcher.handle` binds the store to that transaction and
`dispatch` hands the event's data to the router (unit tests call `dispatch` on a fake store).
"""

from __future__ import annotations

import asyncpg

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_REVIEW_DUE,
    ALERT_UPDATED,
    ALERTS,
    ERASED_TYPES,
    MATCH_PROPOSED,
    MATCH_REVIEWED,
    MATCH_WITHDRAWN,
    MATCHES,
    REGISTRATION_RECORDED,
    REGISTRATIONS,
    REVIEWS,
    SIGHTING_REPORTED,
    SIGHTINGS,
)
from services.common.envelope import CloudEvent
from services.notifier.data_protection import DataProtection
from services.notifier.postgres import PostgresNotifierRepository
from services.notifier.repository import NotifierTransaction
from services.notifier.routing import Router

TOPICS = (ALERTS, REGISTRATIONS, SIGHTINGS, MATCHES, REVIEWS)
_OBSERVATIONS = {REGISTRATION_RECORDED: "registration", SIGHTING_REPORTED: "sighting"}
_MATCH_STATUS = {MATCH_PROPOSED: "proposed", MATCH_WITHDRAWN: "withdrawn"}


async def dispatch(router: Router, event: CloudEvent, tx: NotifierTransaction) -> None:
    data = event.data
    if event.type == ALERT_PUBLISHED:
        await router.alert_published(data, tx)
    elif event.type == ALERT_UPDATED:
        await router.alert_updated(data, tx)
    elif event.type == ALERT_RESOLVED:
        await router.alert_resolved(data, tx)
    elif event.type in _OBSERVATIONS:
        await router.observation_recorded(_OBSERVATIONS[event.type], data, tx)
    elif event.type in _MATCH_STATUS:
        await router.match_changed(_MATCH_STATUS[event.type], data, event.time, tx)
    elif event.type == MATCH_REVIEWED:
        await router.match_reviewed(data, tx)


class EventDispatcher:
    def __init__(
        self,
        router: Router,
        repository: PostgresNotifierRepository,
        protection: DataProtection | None = None,
    ) -> None:
        self._router = router
        self._repository = repository
        self._protection = protection or DataProtection()

    async def handle(self, event: CloudEvent, conn: asyncpg.Connection) -> None:
        tx = self._repository.in_transaction(conn)
        if event.type == ALERT_REVIEW_DUE:
            await self._protection.review_due(event.data, tx)
        elif event.type in _ERASED:
            # Erasure needs the PostgreSQL store's erasure SQL (ProtectionTransaction).
            await self._protection.record_erased(_ERASED[event.type], event.data, event.id, tx)
        else:
            await dispatch(self._router, event, tx)


_ERASED = {ce_type: record_type for record_type, ce_type in ERASED_TYPES.items()}
