"""What the notifier holds about one record, for a subject-access export: its routing context,
the matches involving it, every notification about them (or, for an alert, its review
warnings), the investigators' reviews and the audit entries naming the record or its matches."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.common.envelope import format_time
from services.notifier.config import SCHEMA

S = f'"{SCHEMA}"'


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    return {k: format_time(v) if hasattr(v, "astimezone") else v for k, v in dict(row).items()}


async def notifier_holdings(
    conn: asyncpg.Connection, record_type: str, record_id: str
) -> dict[str, Any]:
    if record_type == "alert":
        context = await conn.fetchrow(
            "SELECT alert_id::text, authority_id, country, category, status, last_seen,"
            f" erased_at FROM {S}.alert_context WHERE alert_id = $1",
            record_id,
        )
        where, args = "alert_id = $1", [record_id]
    else:
        context = await conn.fetchrow(
            "SELECT obs_type, obs_id::text, org_id, seen, erased_at"
            f" FROM {S}.observation_context WHERE obs_type = $1 AND obs_id = $2",
            record_type, record_id,
        )
        where, args = "obs_type = $1 AND obs_id = $2::uuid", [record_type, record_id]
    matches = await conn.fetch(
        "SELECT match_id::text, alert_id::text, obs_type, obs_id::text, revision, status, score,"
        " explanation, decision, reviewed_at, escalated_at, first_proposed_at"
        f" FROM {S}.matches WHERE {where} ORDER BY match_id",
        *args,
    )
    match_ids = [m["match_id"] for m in matches]
    notifications = await conn.fetch(
        "SELECT id::text, seq, recipient_org, subscription_id::text, match_id::text, kind,"
        f" payload, created_at FROM {S}.notifications WHERE match_id = ANY($1::uuid[])"
        " OR (match_id IS NULL AND payload->'alert'->>'alert_id' = $2) ORDER BY seq",
        match_ids, record_id,
    )
    reviews = await conn.fetch(
        "SELECT match_id::text, revision, decision, reviewer, org_id, override_reason, at"
        f" FROM {S}.reviews WHERE match_id = ANY($1::uuid[]) ORDER BY id",
        match_ids,
    )
    audit = await conn.fetch(
        "SELECT id, at, org_id, subject, action, record_type, record_id, request_id, detail"
        f" FROM {S}.audit_log WHERE record_id = ANY($1::text[]) ORDER BY id",
        [record_id, *match_ids],
    )
    return {
        "context": _plain(context) if context is not None else None,
        "matches": [_plain(r) for r in matches],
        "notifications": [_plain(r) for r in notifications],
        "reviews": [_plain(r) for r in reviews],
        "audit": [_plain(r) for r in audit],
    }
