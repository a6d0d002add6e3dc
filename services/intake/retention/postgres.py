"""The retention job's SQL on intake's tables (schema `intake`), beside the use cases' own
(services/intake/postgres.py), whose transaction it extends."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.common.audit_chain import Pruned, prune
from services.common.envelope import format_time
from services.common.store import PostgresStore
from services.intake.config import SCHEMA
from services.intake.postgres import RECORD_TABLES, _PostgresTransaction, _record
from services.intake.repository import StoredRecord
from services.intake.retention.policy import (
    AlertRetention,
    ObservationRetention,
    erased_data,
    erased_resolution,
)

_ALERT_COLUMNS = (
    "id::text AS alert_id, status, coalesce(category, data->>'category') AS category,"
    " review_due_at, review_warned_for,"
    " resolution->>'resolution' AS resolution, erased_at, extensions,"
    # Resolved through the HTTP door, an alert's end time is in its resolution.
    " CASE WHEN status = 'resolved' THEN"
    " coalesce(resolved_at, (resolution->>'at')::timestamptz, updated_at) END AS resolved_at"
)


def _alert(row: asyncpg.Record) -> AlertRetention:
    return AlertRetention(**dict(row))


class _RetentionTransaction(_PostgresTransaction):
    async def assign_review_dates(self, review_days: Mapping[str, int], default_days: int) -> int:
        status = await self._conn.execute(
            f'UPDATE "{SCHEMA}".alerts SET category = coalesce(category, data->>\'category\'),'
            " review_due_at = created_at + make_interval(days =>"
            " coalesce(($1::jsonb->>coalesce(category, data->>'category'))::int, $2))"
            " WHERE review_due_at IS NULL",
            dict(review_days),
            default_days,
        )
        return int(status.split()[-1])

    async def alerts_for_review(
        self, now: datetime, warning: timedelta, after_end: timedelta, limit: int
    ) -> list[AlertRetention]:
        rows = await self._conn.fetch(
            f'SELECT {_ALERT_COLUMNS} FROM "{SCHEMA}".alerts WHERE erased_at IS NULL AND ('
            " (status = 'active' AND review_due_at - $2::interval <= $1"
            # warned already and not yet due: nothing to do (keeps the batch for real work)
            "  AND (review_warned_for IS DISTINCT FROM review_due_at OR review_due_at <= $1))"
            " OR (status = 'resolved' AND (resolution->>'resolution' = 'expired'"
            "     OR coalesce(resolved_at, updated_at) + $3::interval <= $1)))"
            " ORDER BY review_due_at, id LIMIT $4",
            now, warning, after_end, limit,
        )
        return [_alert(r) for r in rows]

    async def alert_retention(self, alert_id: str, *, for_update: bool) -> AlertRetention | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f'SELECT {_ALERT_COLUMNS} FROM "{SCHEMA}".alerts WHERE id = $1{lock}', alert_id
        )
        return _alert(row) if row is not None else None

    async def mark_warned(self, alert_id: str, review_due_at: datetime) -> None:
        await self._conn.execute(
            f'UPDATE "{SCHEMA}".alerts SET review_warned_for = $2 WHERE id = $1',
            alert_id, review_due_at,
        )

    async def extend_review(self, alert_id: str, review_due_at: datetime) -> int:
        extensions: int = await self._conn.fetchval(
            f'UPDATE "{SCHEMA}".alerts SET review_due_at = $2, review_warned_for = NULL,'
            " extensions = extensions + 1, updated_at = clock_timestamp()"
            " WHERE id = $1 RETURNING extensions",
            alert_id, review_due_at,
        )
        return extensions

    async def expire_alert(self, alert_id: str, resolution: dict[str, Any], at: datetime) -> None:
        await self._conn.execute(
            f'UPDATE "{SCHEMA}".alerts SET status = \'resolved\','
            " data = jsonb_set(data, '{status}', '\"resolved\"'), resolution = $2,"
            " resolved_at = $3, updated_at = clock_timestamp() WHERE id = $1",
            alert_id, resolution, at,
        )

    async def observations_for_erasure(
        self, now: datetime, period: timedelta, limit: int
    ) -> list[ObservationRetention]:
        found: list[ObservationRetention] = []
        for obs_type, table in (("registration", "registrations"), ("sighting", "sightings")):
            rows = await self._conn.fetch(
                "SELECT o.id::text AS obs_id, o.created_at, coalesce(array_agg("
                " ARRAY[a.id::text, (a.status = 'active' AND a.erased_at IS NULL)::text,"
                " (a.erased_at IS NOT NULL)::text]) FILTER (WHERE a.id IS NOT NULL), '{}')"
                " AS linked"
                f' FROM "{SCHEMA}".{table} o'
                f' LEFT JOIN "{SCHEMA}".observation_links l ON l.obs_type = $1'
                " AND l.obs_id = o.id AND l.status = 'proposed'"
                f' LEFT JOIN "{SCHEMA}".alerts a ON a.id = l.alert_id'
                " WHERE o.erased_at IS NULL GROUP BY o.id, o.created_at"
                " HAVING (o.created_at + $3::interval <= $2 OR bool_or(a.erased_at IS NOT NULL))"
                # one an open alert needs is kept: leave it out, so the batch is real work
                " AND NOT coalesce(bool_or(a.status = 'active' AND a.erased_at IS NULL), false)"
                " ORDER BY o.created_at LIMIT $4",
                obs_type, now, period, limit,
            )
            for r in rows:
                linked = tuple((a, o == "true", e == "true") for a, o, e in r["linked"])
                found.append(ObservationRetention(obs_type, r["obs_id"], r["created_at"], linked))
        return found

    async def erase_record(self, record_type: str, record_id: str, at: datetime) -> bool:
        table = f'"{SCHEMA}".{RECORD_TABLES[record_type]}'
        row = await self._conn.fetchrow(
            f"SELECT * FROM {table} WHERE id = $1 AND erased_at IS NULL FOR UPDATE", record_id
        )
        if row is None:
            return False
        if record_type == "alert":
            await self._conn.execute(
                f"UPDATE {table} SET data = $2, resolution = $3, erased_at = $4 WHERE id = $1",
                record_id, erased_data("alert", row["data"]),
                erased_resolution(row["resolution"]), at,
            )
            # Every revision a police unit can read in the alert's history repeats the child.
            for past in await self._conn.fetch(
                f'SELECT revision, data FROM "{SCHEMA}".alert_history WHERE alert_id = $1',
                record_id,
            ):
                await self._conn.execute(
                    f'UPDATE "{SCHEMA}".alert_history SET data = $3'
                    " WHERE alert_id = $1 AND revision = $2",
                    record_id, past["revision"], erased_data("alert", past["data"]),
                )
        else:
            await self._conn.execute(
                f"UPDATE {table} SET data = $2, erased_at = $3 WHERE id = $1",
                record_id, erased_data(record_type, row["data"]), at,
            )
        # A keyed request's stored response repeats the record; a published outbox row, its
        # event. Both go: the relay needs neither, and unsent rows are still to be published.
        await self._conn.execute(
            f'UPDATE "{SCHEMA}".idempotency_keys SET body = $2 WHERE record_id = $1',
            record_id, {"erased": True, "erased_at": format_time(at)},
        )
        await self._conn.execute(
            f'DELETE FROM "{SCHEMA}".outbox WHERE event_key = $1 AND sent_at IS NOT NULL',
            record_id,
        )
        return True

    async def save_link(
        self, match_id: str, alert_id: str, obs: tuple[str, str], revision: int, status: str
    ) -> None:
        await self._conn.execute(
            f'INSERT INTO "{SCHEMA}".observation_links'
            " (match_id, alert_id, obs_type, obs_id, revision, status)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (match_id) DO UPDATE"
            " SET revision = EXCLUDED.revision, status = EXCLUDED.status"
            " WHERE observation_links.revision < EXCLUDED.revision",
            match_id, alert_id, obs[0], obs[1], revision, status,
        )

    async def links_of(self, record_type: str, record_id: str) -> list[dict[str, Any]]:
        column = "alert_id" if record_type == "alert" else "obs_id"
        rows = await self._conn.fetch(
            "SELECT match_id::text, alert_id::text, obs_type, obs_id::text, revision, status"
            f' FROM "{SCHEMA}".observation_links WHERE {column} = $1'
            + ("" if record_type == "alert" else " AND obs_type = $2")
            + " ORDER BY match_id",
            *((record_id,) if record_type == "alert" else (record_id, record_type)),
        )
        return [dict(r) for r in rows]

    async def audit_about(self, record_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT id, at, org_id, org_kind, subject, action, record_type, record_id,"
            f' request_id, detail, hash FROM "{SCHEMA}".audit_log WHERE record_id = $1'
            " ORDER BY id",
            record_id,
        )
        return [{**dict(r), "at": format_time(r["at"])} for r in rows]

    async def events_about(self, record_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            f'SELECT event, sent_at FROM "{SCHEMA}".outbox WHERE event_key = $1 ORDER BY id',
            record_id,
        )
        return [
            {"event": r["event"], "sent_at": format_time(r["sent_at"]) if r["sent_at"] else None}
            for r in rows
        ]

    async def stored_record(self, record_type: str, record_id: str) -> StoredRecord | None:
        row = await self._conn.fetchrow(
            f'SELECT * FROM "{SCHEMA}".{RECORD_TABLES[record_type]} WHERE id = $1', record_id
        )
        return _record(row) if row is not None else None


class PostgresRetentionStore(PostgresStore[_RetentionTransaction]):
    """Intake's tables, as the retention job and the data-protection use cases use them."""

    transaction_class = _RetentionTransaction

    async def prune_audit(self, before: datetime, *, dry_run: bool) -> Pruned:
        async with self._pool.acquire() as conn:
            return await prune(conn, SCHEMA, before, dry_run=dry_run)
