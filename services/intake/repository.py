"""Intake's store: records, idempotency keys, the audit log and the outbox (schema `intake`).

`IntakeRepository` is the port the use cases see; `PostgresIntakeRepository` implements it with
plain SQL. Every use case runs in one `transaction()`, so a record, its audit entry, its event
and the stored response of a keyed request commit together or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from services.common.catalog import topic_for_type
from services.common.envelope import CloudEvent
from services.common.outbox import enqueue
from services.common.outcomes import IdempotencyStore, StoredResponse
from services.common.schema_registry import SchemaRegistry
from services.intake.config import SCHEMA

RECORD_TABLES = {"alert": "alerts", "registration": "registrations", "sighting": "sightings"}


@dataclass(frozen=True)
class StoredRecord:
    """An alert, registration or sighting as stored. `status`, `resolution` and `updated_at`
    are an alert's only."""

    id: str
    org_id: str
    data: dict[str, Any]
    created_at: datetime
    status: str | None = None
    resolution: dict[str, Any] | None = None
    updated_at: datetime | None = None


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
class AuditRecord:
    id: int
    at: datetime
    entry: AuditEntry


@dataclass(frozen=True)
class AuditQuery:
    org_id: str | None = None
    record_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class IntakeTransaction(IdempotencyStore, Protocol):
    """What a use case may read and change, atomically."""

    async def insert_alert(self, alert_id: str, org_id: str, data: Any) -> StoredRecord: ...

    async def insert_record(
        self, record_type: str, record_id: str, org_id: str, data: Any
    ) -> StoredRecord:
        """Store a new registration or sighting (alerts have `insert_alert`)."""

    async def get_record(
        self, record_type: str, record_id: str, *, for_update: bool = False
    ) -> StoredRecord | None: ...

    async def save_alert(
        self, alert_id: str, status: str, data: Any, resolution: Any
    ) -> StoredRecord: ...

    async def list_alerts(
        self,
        *,
        org_id: str | None,
        status: str | None,
        updated_since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredRecord]:
        """Alerts ordered by (updated_at, id), the page after the cursor `after`."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None: ...

    async def list_audit(
        self, query: AuditQuery, *, after_id: int, limit: int
    ) -> list[AuditRecord]: ...

    async def emit(self, event: CloudEvent) -> None:
        """Publish `event` if and only if this transaction commits (the outbox)."""


class IntakeRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[IntakeTransaction]: ...


class PostgresIntakeRepository:
    """Intake's tables in PostgreSQL."""

    def __init__(self, pool: Any, registry: SchemaRegistry, topic: Callable[[str], str]) -> None:
        """`topic` maps a logical topic name to the physical one (the deployment's prefix)."""
        self._pool = pool
        self._registry = registry
        self._topic = topic

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[IntakeTransaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield _PostgresTransaction(conn, self._registry, self._topic)


def _table(record_type: str) -> str:
    return f'"{SCHEMA}".{RECORD_TABLES[record_type]}'


def _record(row: asyncpg.Record) -> StoredRecord:
    values = dict(row)
    return StoredRecord(
        id=str(values["id"]),
        org_id=values["org_id"],
        data=values["data"],
        created_at=values["created_at"],
        status=values.get("status"),
        resolution=values.get("resolution"),
        updated_at=values.get("updated_at"),
    )


class _PostgresTransaction:
    def __init__(
        self, conn: asyncpg.Connection, registry: SchemaRegistry, topic: Callable[[str], str]
    ) -> None:
        self._conn = conn
        self._registry = registry
        self._topic = topic

    async def lock_idempotency_key(self, org_id: str, key: str) -> None:
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"idem:{org_id}:{key}"
        )

    async def stored_response(self, org_id: str, key: str) -> StoredResponse | None:
        row = await self._conn.fetchrow(
            "SELECT request_hash, effect, body, record_type, record_id"
            f' FROM "{SCHEMA}".idempotency_keys WHERE org_id = $1 AND key = $2',
            org_id,
            key,
        )
        if row is None:
            return None
        return StoredResponse(
            row["request_hash"], row["effect"], row["body"], row["record_type"], row["record_id"]
        )

    async def store_response(self, org_id: str, key: str, response: StoredResponse) -> None:
        await self._conn.execute(
            f'INSERT INTO "{SCHEMA}".idempotency_keys'
            " (org_id, key, request_hash, effect, body, record_type, record_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            org_id,
            key,
            response.request_hash,
            response.effect,
            response.body,
            response.record_type,
            response.record_id,
        )

    async def insert_alert(self, alert_id: str, org_id: str, data: Any) -> StoredRecord:
        row = await self._conn.fetchrow(
            f'INSERT INTO "{SCHEMA}".alerts (id, org_id, status, data)'
            " VALUES ($1, $2, 'active', $3) RETURNING *",
            alert_id,
            org_id,
            data,
        )
        return _record(row)

    async def insert_record(
        self, record_type: str, record_id: str, org_id: str, data: Any
    ) -> StoredRecord:
        row = await self._conn.fetchrow(
            f"INSERT INTO {_table(record_type)} (id, org_id, data) VALUES ($1, $2, $3) RETURNING *",
            record_id,
            org_id,
            data,
        )
        return _record(row)

    async def get_record(
        self, record_type: str, record_id: str, *, for_update: bool = False
    ) -> StoredRecord | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM {_table(record_type)} WHERE id = $1{lock}", record_id
        )
        return _record(row) if row is not None else None

    async def save_alert(
        self, alert_id: str, status: str, data: Any, resolution: Any
    ) -> StoredRecord:
        row = await self._conn.fetchrow(
            f'UPDATE "{SCHEMA}".alerts SET status = $2, data = $3, resolution = $4,'
            " updated_at = clock_timestamp() WHERE id = $1 RETURNING *",
            alert_id,
            status,
            data,
            resolution,
        )
        return _record(row)

    async def list_alerts(
        self,
        *,
        org_id: str | None,
        status: str | None,
        updated_since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredRecord]:
        rows = await self._conn.fetch(
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
        return [_record(row) for row in rows]

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        await self._conn.executemany(
            f'INSERT INTO "{SCHEMA}".audit_log'
            " (org_id, org_kind, subject, action, record_type, record_id, request_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                (
                    e.org_id,
                    e.org_kind,
                    e.subject,
                    e.action,
                    e.record_type,
                    e.record_id,
                    e.request_id,
                )
                for e in entries
            ],
        )

    async def list_audit(
        self, query: AuditQuery, *, after_id: int, limit: int
    ) -> list[AuditRecord]:
        rows = await self._conn.fetch(
            f'SELECT * FROM "{SCHEMA}".audit_log'
            " WHERE id > $1 AND ($2::text IS NULL OR org_id = $2)"
            " AND ($3::text IS NULL OR record_id = $3) AND ($4::text IS NULL OR action = $4)"
            " AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)"
            " ORDER BY id LIMIT $7",
            after_id,
            query.org_id,
            query.record_id,
            query.action,
            query.since,
            query.until,
            limit,
        )
        return [
            AuditRecord(
                r["id"],
                r["at"],
                AuditEntry(
                    r["org_id"],
                    r["org_kind"],
                    r["subject"],
                    r["action"],
                    r["record_type"],
                    r["record_id"],
                    r["request_id"],
                ),
            )
            for r in rows
        ]

    async def emit(self, event: CloudEvent) -> None:
        topic = self._topic(topic_for_type(event.type))
        await enqueue(self._conn, SCHEMA, event, topic, registry=self._registry)
