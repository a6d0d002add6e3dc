"""The outbox backlog: how many events wait to be published and how old the oldest is.

The relay records the gauges after each batch; `refresh_backlog_metrics` is the /metrics probe
that reads them from the table itself, which works while Kafka (and so the relay) is down.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from services.common.metrics import OUTBOX_BACKLOG, OUTBOX_LAG_SECONDS


async def backlog(conn: asyncpg.Connection, schema: str) -> int:
    """How many rows wait to be published."""
    count, _ = await _backlog(conn, schema)
    return count


async def _backlog(conn: asyncpg.Connection, schema: str) -> tuple[int, float]:
    """(rows waiting, age in seconds of the oldest of them)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at)) AS lag"
        f' FROM "{schema}".outbox WHERE sent_at IS NULL'
    )
    return int(row["n"]), float(row["lag"] or 0.0)


async def record_backlog_metrics(conn: asyncpg.Connection, schema: str) -> None:
    count, lag = await _backlog(conn, schema)
    OUTBOX_BACKLOG.labels(schema).set(count)
    OUTBOX_LAG_SECONDS.labels(schema).set(lag)


async def refresh_backlog_metrics(pool: Any, schema: str) -> None:
    """Backlog gauges from the table itself: the relay cannot update them while Kafka is down.
    A /metrics probe: it gives up quietly when the database is not answering."""
    try:
        async with asyncio.timeout(2.0), pool.acquire() as conn:
            await record_backlog_metrics(conn, schema)
    except Exception:  # metrics must still be served when the database is not
        return
