"""Instants a record about a living child can hold.

RFC 3339, and so every schema's `date-time`, allows years 0001 to 9999, where adding a review
window or a tolerance overflows Python's datetime. A time outside EARLIEST..LATEST is treated as
unusable by whoever reads it (as a missing time would be), never as fatal.
"""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def plausible(moment: datetime | None) -> datetime | None:
    """`moment` if it lies between EARLIEST and LATEST, else None (unusable)."""
    return moment if moment is not None and EARLIEST <= moment < LATEST else None
