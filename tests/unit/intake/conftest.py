"""Intake's use cases on the in-memory store: no database, no broker, no HTTP."""

from __future__ import annotations

import pytest

from services.common.config import CommonSettings
from services.common.schema_registry import SchemaRegistry
from services.intake.config import IntakeSettings
from services.intake.handlers import IntakeHandlers
from tests.unit.intake.fakes import InMemoryIntakeRepository


@pytest.fixture
def repo(registry: SchemaRegistry) -> InMemoryIntakeRepository:
    return InMemoryIntakeRepository(registry)


@pytest.fixture
def intake(repo: InMemoryIntakeRepository, registry: SchemaRegistry) -> IntakeHandlers:
    unused = CommonSettings(kafka_bootstrap="unused:9092", database_url="postgresql://unused")
    return IntakeHandlers(repo, registry, IntakeSettings(common=unused))
