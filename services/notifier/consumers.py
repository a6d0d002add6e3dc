"""The notifier's Kafka adapter: which use case each event type goes to (nothing else).

The consumer runner (services.common.consumer) decodes, validates, claims the event in the
inbox and opens the transaction; `EventDispatcher.handle` hands the event's data to the router
with the store bound to that transaction.
"""

from __future__ import annotations

import asyncpg

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    ALERTS,
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
from services.notifier.postgres import PostgresNotifierRepository
from services.notifier.routing import Router

TOPICS = (ALERTS, REGISTRATIONS, SIGHTINGS, MATCHES, REVIEWS)
_OBSERVATIONS = {REGISTRATION_RECORDED: "registration", SIGHTING_REPORTED: "sighting"}
_MATCH_STATUS = {MATCH_PROPOSED: "proposed", MATCH_WITHDRAWN: "withdrawn"}


class EventDispatcher:
    def __init__(self, router: Router, repository: PostgresNotifierRepository) -> None:
        self._router = router
        self._repository = repository

    async def handle(self, event: CloudEvent, conn: asyncpg.Connection) -> None:
        tx = self._repository.in_transaction(conn)
        data = event.data
        if event.type == ALERT_PUBLISHED:
            await self._router.alert_published(data, tx)
        elif event.type == ALERT_UPDATED:
            await self._router.alert_updated(data, tx)
        elif event.type == ALERT_RESOLVED:
            await self._router.alert_resolved(data, tx)
        elif event.type in _OBSERVATIONS:
            await self._router.observation_recorded(_OBSERVATIONS[event.type], data, tx)
        elif event.type in _MATCH_STATUS:
            await self._router.match_changed(_MATCH_STATUS[event.type], data, event.time, tx)
        elif event.type == MATCH_REVIEWED:
            await self._router.match_reviewed(data, tx)
