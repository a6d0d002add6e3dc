"""The limit that matters for intake: how many sightings per second PostgreSQL itself accepts
durably when plain asyncpg transactions write exactly what intake writes for one — the record,
its audit row and its outbox row with the relay's notification, in the statements intake uses
— committed before the next.

Same statements, same row shapes, same concurrency as the HTTP benchmark, against the same
database, but with no HTTP, validation, authentication or JSON framework in the way. The rows go
to a schema of their own (same migrations as intake's) so intake's relay never sees them.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from services.common.migrations import migrate
from services.lab.bench.load import LoadResult

INTAKE_MIGRATIONS = Path(__file__).resolve().parents[2] / "intake" / "migrations"
SCHEMA = "bench_durable"
_TYPE = "org.kinlink.sighting.reported.v1"


async def prepare(database_url: str) -> None:
    """Create the reference's tables: intake's migrations in a schema of their own, empty."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
        await migrate(conn, SCHEMA, INTAKE_MIGRATIONS)
    finally:
        await conn.close()


def _rows(body: dict[str, Any]) -> tuple[str, bytes, bytes]:
    """(record id, record data, structured CloudEvent) as intake builds them for a sighting."""
    record_id = str(uuid.uuid4())
    reporter = {"id": "bench-ngo", "kind": "ngo", "country": "FRA"}
    data = {"sighting_id": record_id, "reporter": reporter, **body}
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/kinlink/intake/bench-ngo",
        "type": _TYPE,
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "subject": record_id,
        "datacontenttype": "application/json",
        "data": data,
    }
    return record_id, orjson.dumps(data), orjson.dumps(event)


async def _write_one(conn: asyncpg.Connection, body: dict[str, Any]) -> None:
    record_id, data, event = _rows(body)
    async with conn.transaction():
        await conn.fetchrow(
            f'INSERT INTO "{SCHEMA}".sightings (id, org_id, data)'
            " VALUES ($1, $2, $3::text::jsonb) RETURNING *",
            record_id,
            "bench-ngo",
            data.decode(),
        )
        await conn.execute(
            f'INSERT INTO "{SCHEMA}".audit_log'
            " (org_id, org_kind, subject, action, record_type, record_id, request_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            "bench-ngo",
            "ngo",
            "bench-ngo/system",
            "sighting.create",
            "sighting",
            record_id,
            str(uuid.uuid4()),
        )
        await conn.execute(
            "WITH queued AS ("
            f' INSERT INTO "{SCHEMA}".outbox (topic, event_key, event_id, event)'
            " VALUES ($1, $2, $3, $4::text::jsonb) RETURNING id)"
            " SELECT pg_notify($5, '') FROM queued",
            "bench.kinlink.sightings",
            record_id,
            str(uuid.uuid4()),
            event.decode(),
            f"kinlink_outbox_{SCHEMA}",
        )


async def run_durable_writes(
    database_url: str,
    body: Callable[[int], dict[str, Any]],
    *,
    requests: int,
    concurrency: int,
) -> LoadResult:
    """Commit `requests` sightings' rows with `concurrency` connections writing at once."""
    latencies: list[float] = []
    counter = iter(range(requests))

    async def worker(conn: asyncpg.Connection) -> None:
        for n in counter:
            started = time.perf_counter()
            await _write_one(conn, body(n))
            latencies.append(time.perf_counter() - started)

    conns = [await asyncpg.connect(database_url) for _ in range(concurrency)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(conn) for conn in conns))
        seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return LoadResult(
        requests=len(latencies),
        seconds=seconds,
        p50_ms=statistics.median(ordered) * 1000 if ordered else 0.0,
        p99_ms=p99 * 1000,
        errors=0,
    )
