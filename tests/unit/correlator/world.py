"""The correlator's use cases on the in-memory store, driven event by event as the consumer
would drive them (one transaction per event), with what they proposed read back."""

from __future__ import annotations

from typing import Any

from services.common.catalog import (
    MATCH_PROPOSED,
)
from services.common.envelope import CloudEvent
from services.common.schema_registry import SchemaRegistry
from services.correlator.consumers import dispatch
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
                await dispatch(self.handlers, event, tx)


def new_store(registry: SchemaRegistry) -> InMemoryCorrelatorRepository:
    return InMemoryCorrelatorRepository(registry)


def proposals(repo: InMemoryCorrelatorRepository) -> list[dict[str, Any]]:
    """The data of every match.proposed emitted so far, in order."""
    return [e.data for e in repo.emitted if e.type == MATCH_PROPOSED]
