"""The correlator's shipped tables, loaded once for the test modules that build engines."""

from __future__ import annotations

from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.tables import EngineTables
from services.correlator.tables import load_tables

TABLES: EngineTables = load_tables()


def engine(threshold: float | None = None, **options: int) -> MatchEngine:
    """A fresh engine on the shipped weights and name tables."""
    return MatchEngine(TABLES, threshold=threshold, **options)
