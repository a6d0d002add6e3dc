"""The notifier's use cases on the in-memory store: no database, no broker, no HTTP."""

from __future__ import annotations

import pytest

from services.common.schema_registry import SchemaRegistry
from tests.unit.notifier.fakes import InMemoryNotifierRepository
from tests.unit.notifier.world import Clock, Notifier


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(registry: SchemaRegistry) -> InMemoryNotifierRepository:
    return InMemoryNotifierRepository(registry)  # stored times (now(), seq) run in real time


@pytest.fixture
def notifier(registry: SchemaRegistry, clock: Clock, repo: InMemoryNotifierRepository) -> Notifier:
    return Notifier(registry, clock, repo)
