"""Intake's store in PostgreSQL (schema `intake`): records, idempotency keys, the audit log and
the outbox, in plain SQL behind `IntakeTransaction` (repository.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.common.audit import AuditEntry, append
from services.common.envelope import CloudEvent
from services.common.outcomes import StoredResponse
from services.common.store import PostgresStore, PostgresTransaction
from services.intake.config import SCHEMA
from services.intake.postgres_pfif import PfifTables
from services.intake.repository import AlertRevision, AuditQuery, AuditRecord, StoredRecord

RECORD_TABLES = {"alert": "alerts", "registration": "registrations", "sighting": "sightings"}


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


class _PostgresTransaction(PfifTables, PostgresTransaction):
    schema = SCHEMA

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
        or_active: bool = False,
    ) -> list[StoredRecord]:
        rows = await self._conn.fetch(
            f'SELECT * FROM "{SCHEMA}".alerts'
            " WHERE ($1::text IS NULL OR org_id = $1 OR ($7 AND status = 'active'))"
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
            or_active,
        )
        return [_record(row) for row in rows]

    async def append_alert_history(self, alert_id: str, org_id: str, event: CloudEvent) -> None:
        # The caller holds the alert's row (inserted, or locked FOR UPDATE): revisions of one
        # alert are numbered one at a time.
        await self._conn.execute(
            f'INSERT INTO "{SCHEMA}".alert_history'
            " (alert_id, revision, event_id, event_type, org_id, data)"
            " SELECT $1, coalesce(max(revision), 0) + 1, $2, $3, $4, $5"
            f' FROM "{SCHEMA}".alert_history WHERE alert_id = $1',
            alert_id,
            event.id,
            event.type,
            org_id,
            event.data,
        )

    async def alert_history(self, alert_id: str) -> list[AlertRevision]:
        rows = await self._conn.fetch(
            "SELECT revision, event_id, event_type, org_id, data, at"
            f' FROM "{SCHEMA}".alert_history WHERE alert_id = $1 ORDER BY revision',
            alert_id,
        )
        return [AlertRevision(**dict(row)) for row in rows]

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        await append(self._conn, SCHEMA, entries)

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


class PostgresIntakeRepository(PostgresStore[_PostgresTransaction]):
    """Intake's tables in PostgreSQL."""

    transaction_class = _PostgresTransaction
