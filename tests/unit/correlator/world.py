"""The correlator's use cases on the in-memory store, driven event by event as the consumer
would drive them (one transaction per event), with what they proposed read back."""

from __future__ import annotations

from typing import Any

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    MATCH_PROPOSED,
    MATCH_REVIEWED,
)
from services.common.envelope import CloudEvent
from services.common.schema_registry import SchemaRegistry
from services.correlator.domain.model import OBSERVATION_EVENT_KINDS
from services.correlator.handlers import CorrelatorHandlers
from tests.engine_tables import engine
from tests.unit.correlator.fakes import InMemoryCorrelatorRepository


class Instance:
    """One correlator instance: its own engine (index of active alerts) over a shared store."""

    def __init__(self, repo: InMemoryCorrelatorRepository) -> None:
        self.repo = repo
        self.handlers = CorrelatorHandlers(engine(), max_backfill=5000)

    async def start(self) -> Instance:
        async with self.repo.transaction() as tx:
            await self.handlers.load(tx)
        return self

    async def apply(self, *events: CloudEvent) -> None:
        """Each event in its own transaction, routed by type as `consumers.py` routes it."""
        for event in events:
            async with self.repo.transaction() as tx:
                h, data = self.handlers, event.data
                if event.type == ALERT_PUBLISHED:
                    await h.alert_published(data, event.time, tx)
                elif event.type == ALERT_UPDATED:
                    await h.alert_updated(data, tx)
                elif event.type == ALERT_RESOLVED:
                    await h.alert_resolved(data, tx)
                elif event.type in OBSERVATION_EVENT_KINDS:
                    kind = OBSERVATION_EVENT_KINDS[event.type]
                    await h.observation_reported(kind, data, event.time, tx)
                elif event.type == MATCH_REVIEWED:
                    await h.match_reviewed(data, tx)
                else:
                    raise AssertionError(f"not an event the correlator consumes: {event.type}")


def new_store(registry: SchemaRegistry) -> InMemoryCorrelatorRepository:
    return InMemoryCorrelatorRepository(registry)


def proposals(repo: InMemoryCorrelatorRepository) -> list[dict[str, Any]]:
    """The data of every match.proposed emitted so far, in order."""
    return [e.data for e in repo.emitted if e.type == MATCH_PROPOSED]
