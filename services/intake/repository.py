"""Intake's SQL: records, idempotency keys and the audit log, in schema `intake`.

Functions take a connection so that the use cases decide the transaction boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.intake.config import SCHEMA

RECORD_TABLES = {"alert": "alerts", "registration": "registrations", "sighting": "sightings"}


@dataclass(frozen=True)
class AuditEntry:
    org_id: str
    org_kind: str
    subject: str
    action: str
    record_type: str
    record_id: str
    request_id: str


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status: int
    body: Any
    location: str | None


def _table(record_type: str) -> str:
    return f'"{SCHEMA}".{RECORD_TABLES[record_type]}'


async def insert_record(
    conn: asyncpg.Connection, record_type: str, record_id: str, org_id: str, data: Any
) -> asyncpg.Record:
    """Store a new registration or sighting (alerts have `insert_alert`)."""
    row: asyncpg.Record = await conn.fetchrow(
        f"INSERT INTO {_table(record_type)} (id, org_id, data) VALUES ($1, $2, $3)"
        " RETURNING id, org_id, data, created_at",
        record_id,
        org_id,
        data,
    )
    return row


async def get_record(
    conn: asyncpg.Connection, record_type: str, record_id: str, *, for_update: bool = False
) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT * FROM {_table(record_type)} WHERE id = $1{lock}", record_id
    )
    return row


async def insert_alert(
    conn: asyncpg.Connection, alert_id: str, org_id: str, data: Any
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f'INSERT INTO "{SCHEMA}".alerts (id, org_id, status, data) VALUES ($1, $2, $3, $4)'
        " RETURNING *",
        alert_id,
        org_id,
        "active",
        data,
    )
    return row


async def save_alert(
    conn: asyncpg.Connection, alert_id: str, status: str, data: Any, resolution: Any
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f'UPDATE "{SCHEMA}".alerts SET status = $2, data = $3, resolution = $4,'
        " updated_at = clock_timestamp() WHERE id = $1 RETURNING *",
        alert_id,
        status,
        data,
        resolution,
    )
    return row


async def list_alerts(
    conn: asyncpg.Connection,
    *,
    org_id: str | None,
    status: str | None,
    updated_since: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Alerts ordered by (updated_at, id), the page after the cursor `after`."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f'SELECT * FROM "{SCHEMA}".alerts'
        " WHERE ($1::text IS NULL OR org_id = $1)"
        " AND ($2::text IS NULL OR status = $2)"
        " AND ($3::timestamptz IS NULL OR updated_at >= $3)"
        " AND ($4::timestamptz IS NULL OR (updated_at, id) > ($4, $5::uuid))"
        " ORDER BY updated_at, id LIMIT $6",
        org_id,
        status,
        updated_since,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return rows


async def lock_idempotency_key(conn: asyncpg.Connection, org_id: str, key: str) -> None:
    """Serialise concurrent requests with one key until the end of the transaction."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"idem:{org_id}:{key}"
    )


async def stored_response(conn: asyncpg.Connection, org_id: str, key: str) -> StoredResponse | None:
    row = await conn.fetchrow(
        f'SELECT request_hash, status, body, location FROM "{SCHEMA}".idempotency_keys'
        " WHERE org_id = $1 AND key = $2",
        org_id,
        key,
    )
    if row is None:
        return None
    return StoredResponse(row["request_hash"], row["status"], row["body"], row["location"])


async def store_response(
    conn: asyncpg.Connection, org_id: str, key: str, response: StoredResponse
) -> None:
    await conn.execute(
        f'INSERT INTO "{SCHEMA}".idempotency_keys'
        " (org_id, key, request_hash, status, body, location) VALUES ($1, $2, $3, $4, $5, $6)",
        org_id,
        key,
        response.request_hash,
        response.status,
        response.body,
        response.location,
    )


async def append_audit(conn: asyncpg.Connection, entries: Sequence[AuditEntry]) -> None:
    if not entries:
        return
    await conn.executemany(
        f'INSERT INTO "{SCHEMA}".audit_log'
        " (org_id, org_kind, subject, action, record_type, record_id, request_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            (e.org_id, e.org_kind, e.subject, e.action, e.record_type, e.record_id, e.request_id)
            for e in entries
        ],
    )


async def list_audit(
    conn: asyncpg.Connection,
    *,
    org_id: str | None,
    record_id: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    after_id: int,
    limit: int,
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f'SELECT * FROM "{SCHEMA}".audit_log'
        " WHERE id > $1 AND ($2::text IS NULL OR org_id = $2)"
        " AND ($3::text IS NULL OR record_id = $3) AND ($4::text IS NULL OR action = $4)"
        " AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)"
        " ORDER BY id LIMIT $7",
        after_id,
        org_id,
        record_id,
        action,
        since,
        until,
        limit,
    )
    return rows
