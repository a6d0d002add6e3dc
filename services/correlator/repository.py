"""SQL for the correlator's schema: alerts, observations, matches, rejected pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

SCHEMA = "correlator"


@dataclass(frozen=True)
class AlertChange:
    alert_id: str
    status: str
    data: dict[str, Any]
    published_at: datetime
    change_seq: int


@dataclass(frozen=True)
class StoredMatch:
    revision: int
    score: float
    review: str | None


async def insert_alert(
    conn: asyncpg.Connection,
    alert_id: str,
    data: dict[str, Any],
    published_at: datetime,
    last_seen_at: datetime | None,
) -> bool:
    """Store a newly published alert; False if it was already known."""
    row = await conn.fetchrow(
        f"INSERT INTO {SCHEMA}.alerts (alert_id, status, data, published_at, last_seen_at)"
        " VALUES ($1, 'active', $2, $3, $4) ON CONFLICT (alert_id) DO NOTHING RETURNING 1",
        alert_id,
        data,
        published_at,
        last_seen_at,
    )
    return row is not None


async def update_alert(
    conn: asyncpg.Connection, alert_id: str, changes: dict[str, Any], last_seen_at: datetime | None
) -> bool:
    """Merge changed fields into an active alert (they replace old values); False if none."""
    row = await conn.fetchrow(
        f"UPDATE {SCHEMA}.alerts SET data = data || $2::jsonb,"
        " last_seen_at = COALESCE($3, last_seen_at),"
        f" change_seq = nextval('{SCHEMA}.alert_change_seq'), updated_at = now()"
        " WHERE alert_id = $1 AND status = 'active' RETURNING 1",
        alert_id,
        changes,
        last_seen_at,
    )
    return row is not None


async def resolve_alert(conn: asyncpg.Connection, alert_id: str, resolution: str) -> bool:
    row = await conn.fetchrow(
        f"UPDATE {SCHEMA}.alerts SET status = 'resolved', resolution = $2,"
        f" change_seq = nextval('{SCHEMA}.alert_change_seq'), updated_at = now()"
        " WHERE alert_id = $1 AND status = 'active' RETURNING 1",
        alert_id,
        resolution,
    )
    return row is not None


async def alert_changes_since(conn: asyncpg.Connection, after_seq: int) -> list[AlertChange]:
    rows = await conn.fetch(
        f"SELECT alert_id::text, status, data, published_at, change_seq FROM {SCHEMA}.alerts"
        " WHERE change_seq > $1 ORDER BY change_seq",
        after_seq,
    )
    return [
        AlertChange(r["alert_id"], r["status"], r["data"], r["published_at"], r["change_seq"])
        for r in rows
    ]


async def insert_observation(
    conn: asyncpg.Connection,
    obs_type: str,
    obs_id: str,
    observed_at: datetime,
    data: dict[str, Any],
    keys: Sequence[str],
) -> bool:
    row = await conn.fetchrow(
        f"INSERT INTO {SCHEMA}.observations (obs_type, obs_id, observed_at, data, blocking_keys)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
        obs_type,
        obs_id,
        observed_at,
        data,
        list(keys),
    )
    return row is not None


async def candidate_observations(
    conn: asyncpg.Connection, keys: Sequence[str], since: datetime | None, limit: int
) -> list[tuple[str, dict[str, Any]]]:
    """Observations sharing a blocking key with an alert, since it was last seen (GIN index)."""
    rows = await conn.fetch(
        f"SELECT obs_type, data FROM {SCHEMA}.observations"
        " WHERE blocking_keys && $1::text[] AND ($2::timestamptz IS NULL OR observed_at >= $2)"
        " ORDER BY observed_at LIMIT $3",
        list(keys),
        since,
        limit,
    )
    return [(r["obs_type"], r["data"]) for r in rows]


async def stored_matches(
    conn: asyncpg.Connection, match_ids: Sequence[str]
) -> dict[str, StoredMatch]:
    rows = await conn.fetch(
        f"SELECT match_id::text, revision, score, review FROM {SCHEMA}.matches"
        " WHERE match_id = ANY($1::uuid[]) FOR UPDATE",
        list(match_ids),
    )
    return {r["match_id"]: StoredMatch(r["revision"], r["score"], r["review"]) for r in rows}


async def rejected_among(
    conn: asyncpg.Connection, pairs: Sequence[tuple[str, str, str]]
) -> set[tuple[str, str, str]]:
    if not pairs:
        return set()
    rows = await conn.fetch(
        f"SELECT alert_id::text, obs_type, obs_id::text FROM {SCHEMA}.rejected_pairs"
        " WHERE (alert_id, obs_type, obs_id) IN"
        " (SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[]))",
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        [p[2] for p in pairs],
    )
    return {(r["alert_id"], r["obs_type"], r["obs_id"]) for r in rows}


async def all_rejected(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    rows = await conn.fetch(
        f"SELECT alert_id::text, obs_type, obs_id::text FROM {SCHEMA}.rejected_pairs"
    )
    return [(r["alert_id"], r["obs_type"], r["obs_id"]) for r in rows]


async def upsert_match(
    conn: asyncpg.Connection,
    *,
    match_id: str,
    alert_id: str,
    obs_type: str,
    obs_id: str,
    revision: int,
    score: float,
    explanation: list[dict[str, Any]],
    engine_version: str,
) -> None:
    await conn.execute(
        f"INSERT INTO {SCHEMA}.matches (match_id, alert_id, obs_type, obs_id, revision, score,"
        " explanation, engine_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (match_id) DO UPDATE SET revision = EXCLUDED.revision,"
        " score = EXCLUDED.score, explanation = EXCLUDED.explanation,"
        " engine_version = EXCLUDED.engine_version, updated_at = now()",
        match_id,
        alert_id,
        obs_type,
        obs_id,
        revision,
        score,
        explanation,
        engine_version,
    )


async def record_review(
    conn: asyncpg.Connection,
    *,
    match_id: str,
    alert_id: str,
    obs_type: str,
    obs_id: str,
    decision: str,
    at: datetime,
) -> None:
    await conn.execute(
        f"UPDATE {SCHEMA}.matches SET review = $2, reviewed_at = $3, updated_at = now()"
        " WHERE match_id = $1",
        match_id,
        decision,
        at,
    )
    if decision == "rejected":
        await conn.execute(
            f"INSERT INTO {SCHEMA}.rejected_pairs (alert_id, obs_type, obs_id, match_id,"
            " rejected_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            alert_id,
            obs_type,
            obs_id,
            match_id,
            at,
        )
    else:
        await conn.execute(
            f"DELETE FROM {SCHEMA}.rejected_pairs WHERE alert_id = $1 AND obs_type = $2"
            " AND obs_id = $3",
            alert_id,
            obs_type,
            obs_id,
        )
