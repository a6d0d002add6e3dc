"""What the correlator holds about one record, for a subject-access export: the alert or the
observation as stored, every match involving it (with its explanation) and every review."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.common.envelope import format_time
from services.correlator.config import SCHEMA


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    return {k: format_time(v) if hasattr(v, "astimezone") else v for k, v in dict(row).items()}


async def correlator_holdings(
    conn: asyncpg.Connection, record_type: str, record_id: str
) -> dict[str, Any]:
    if record_type == "alert":
        record = await conn.fetchrow(
            "SELECT alert_id::text, status, data, published_at, last_seen_at, resolution,"
            f" resolved_at, erased_at FROM {SCHEMA}.alerts WHERE alert_id = $1",
            record_id,
        )
        where, args = "alert_id = $1", [record_id]
    else:
        record = await conn.fetchrow(
            "SELECT obs_type, obs_id::text, observed_at, data, received_at, erased_at"
            f" FROM {SCHEMA}.observations WHERE obs_type = $1 AND obs_id = $2",
            record_type, record_id,
        )
        where, args = "obs_type = $1 AND obs_id = $2::uuid", [record_type, record_id]
    matches = await conn.fetch(
        "SELECT match_id::text, alert_id::text, obs_type, obs_id::text, revision, status,"
        " reason, score, explanation, engine_version, review, reviewed_at, updated_at"
        f" FROM {SCHEMA}.matches WHERE {where} ORDER BY match_id",
        *args,
    )
    reviews = await conn.fetch(
        "SELECT match_id::text, alert_id::text, obs_type, obs_id::text, decision, reviewed_at"
        f" FROM {SCHEMA}.reviews WHERE {where} ORDER BY reviewed_at",
        *args,
    )
    audit = await conn.fetch(
        "SELECT id, at, org_id, subject, action, record_type, record_id, request_id, detail"
        f" FROM {SCHEMA}.audit_log WHERE record_id = $1 ORDER BY id",
        record_id,
    )
    return {
        "record": _plain(record) if record is not None else None,
        "matches": [_plain(r) for r in matches],
        "reviews": [_plain(r) for r in reviews],
        "audit": [_plain(r) for r in audit],
    }
