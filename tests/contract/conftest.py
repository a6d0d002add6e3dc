"""Shared fixture for the contract tests: the schema registry, loaded once per session."""

from __future__ import annotations

import pytest

from services.common.schema_registry import SchemaRegistry

from .layout import SCHEMAS


@pytest.fixture(scope="session")
def registry() -> SchemaRegistry:
    return SchemaRegistry.load(SCHEMAS)
