"""Test-suite wide: mark everything under tests/integration and tests/e2e as integration."""

from __future__ import annotations

from pathlib import Path

import pytest

_SLOW_DIRS = {"integration", "e2e", "chaos"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _SLOW_DIRS & set(Path(str(item.fspath)).parts):
            item.add_marker(pytest.mark.integration)
