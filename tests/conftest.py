"""Test-suite wide: mark everything under tests/integration and tests/e2e as integration."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

_SLOW_DIRS = {"integration", "e2e", "chaos"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _SLOW_DIRS & set(Path(str(item.fspath)).parts):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _logging_left_as_found() -> Iterator[None]:
    """A command run in-process (CliRunner) configures logging for a process of its own: its
    handler writes to that run's captured stderr. Put the structlog configuration and the root
    logger back afterwards, so that later tests see their services' lines where they look."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)
