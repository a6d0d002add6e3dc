"""The correlator's store in PostgreSQL (schema `correlator`): alerts, observations, matches,
standings, reviews and name-token counts.

`CorrelatorRepository` (repository.py) is the port the use cases see; this is its PostgreSQL
implementation, in plain SQL. All work happens inside a transaction, opened by `transaction()`,
or by the consumer runner, which claims the event in the inbox in the same transaction and hands
its connection to `in_transaction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.common.store import PostgresStore, PostgresTransaction
from services.correlator.config import SCHEMA
from services.correlator.domain.decisions import MatchState
from services.correlator.postgres_erasure import ErasureSql
from services.correlator.postgres_reviews import ReviewSql
from services.correlator.postgres_standings import StandingSql
from services.correlator.repository import (
    AlertChange,
    MatchRecord,
    ObsRef,
    Pair,
    StoredMatch,
)

# Serialises alert changes (exclusive) against observations (shared) across instances.
_INDEX_LOCK_KEY = 0x6B696E6C696E6B  # "kinlink"

class _PostgresTransaction(ErasureSql, ReviewSql, StandingSql, PostgresTransaction):
    schema = SCHEMA

    async def lock_alert_index(self, *, exclusive: bool) -> None:
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await self._conn.execute(f"SELECT {lock}($1)", _INDEX_LOCK_KEY)

    async def alert_changes_since(self, after_seq: int) -> list[AlertChange]:
        rows = await self._conn.fetch(
            "SELECT alert_id::text, status, data, published_at, change_seq, resolved_at,"
            f" erased_at IS NOT NULL AS erased FROM {SCHEMA}.alerts WHERE change_seq > $1"
            " ORDER BY change_seq",
            after_seq,
        )
        return [
            AlertChange(
                r["alert_id"], r["status"], r["data"], r["published_at"], r["change_seq"],
                r["resolved_at"], r["erased"],
            )
            for r in rows
        ]

    async def insert_alert(
        self,
        alert_id: str,
        data: dict[str, Any],
        published_at: datetime,
        last_seen_at: datetime | None,
    ) -> bool:
        row = await self._conn.fetchrow(
            f"INSERT INTO {SCHEMA}.alerts (alert_id, status, data, published_at, last_seen_at)"
            " VALUES ($1, 'active', $2, $3, $4) ON CONFLICT (alert_id) DO NOTHING RETURNING 1",
            alert_id,
            data,
            published_at,
            last_seen_at,
        )
        return row is not None

    async def update_alert(
        self, alert_id: str, changes: dict[str, Any], last_seen_at: datetime | None
    ) -> bool:
        # The first last-seen report is kept: the child went missing then and there.
        first = "CASE WHEN $2::jsonb ? 'last_seen' AND NOT data ? 'first_seen' THEN" \
            " jsonb_build_object('first_seen', data->'last_seen') ELSE '{}'::jsonb END"
        row = await self._conn.fetchrow(
            f"UPDATE {SCHEMA}.alerts SET data = data || $2::jsonb || {first},"
            " last_seen_at = COALESCE($3, last_seen_at),"
            f" change_seq = nextval('{SCHEMA}.alert_change_seq'), updated_at = now()"
            " WHERE alert_id = $1 AND status = 'active' RETURNING 1",
            alert_id,
            changes,
            last_seen_at,
        )
        return row is not None

    async def resolve_alert(
        self, alert_id: str, resolution: str, resolved_at: datetime | None = None
    ) -> bool:
        row = await self._conn.fetchrow(
            f"UPDATE {SCHEMA}.alerts SET status = 'resolved', resolution = $2,"
            " resolved_at = COALESCE($3, now()),"
            f" change_seq = nextval('{SCHEMA}.alert_change_seq'), updated_at = now()"
            " WHERE alert_id = $1 AND status = 'active' RETURNING 1",
            alert_id,
            resolution,
            resolved_at,
        )
        return row is not None

    async def insert_observation(
        self,
        obs_type: str,
        obs_id: str,
        observed_at: datetime,
        data: dict[str, Any],
        keys: Sequence[str],
    ) -> bool:
        row = await self._conn.fetchrow(
            f"INSERT INTO {SCHEMA}.observations"
            " (obs_type, obs_id, observed_at, data, blocking_keys)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
            obs_type,
            obs_id,
            observed_at,
            data,
            list(keys),
        )
        return row is not None

    async def candidate_observations(
        self, keys: Sequence[str], since: datetime | None, limit: int
    ) -> list[tuple[str, dict[str, Any]]]:
        # The GIN index on blocking_keys makes this an indexed lookup at any volume.
        rows = await self._conn.fetch(
            f"SELECT obs_type, data FROM {SCHEMA}.observations"
            " WHERE blocking_keys && $1::text[]"
            " AND ($2::timestamptz IS NULL OR observed_at >= $2)"
            " ORDER BY observed_at, obs_type, obs_id LIMIT $3",
            list(keys),
            since,
            limit,
        )
        return [(r["obs_type"], r["data"]) for r in rows]

    async def stored_matches(self, match_ids: Sequence[str]) -> dict[str, StoredMatch]:
        rows = await self._conn.fetch(
            f"SELECT match_id::text, revision, score, review FROM {SCHEMA}.matches"
            " WHERE match_id = ANY($1::uuid[]) FOR UPDATE",
            list(match_ids),
        )
        return {r["match_id"]: StoredMatch(r["revision"], r["score"], r["review"]) for r in rows}

    async def rejected_among(self, pairs: Sequence[Pair]) -> set[Pair]:
        if not pairs:
            return set()
        rows = await self._conn.fetch(
            f"SELECT alert_id::text, obs_type, obs_id::text FROM {SCHEMA}.rejected_pairs"
            " WHERE (alert_id, obs_type, obs_id) IN"
            " (SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[]))",
            [p[0] for p in pairs],
            [p[1] for p in pairs],
            [p[2] for p in pairs],
        )
        return {(r["alert_id"], r["obs_type"], r["obs_id"]) for r in rows}

    async def all_rejected(self) -> list[Pair]:
        rows = await self._conn.fetch(
            f"SELECT alert_id::text, obs_type, obs_id::text FROM {SCHEMA}.rejected_pairs"
        )
        return [(r["alert_id"], r["obs_type"], r["obs_id"]) for r in rows]

    async def save_match(self, match: MatchRecord) -> None:
        await self._conn.execute(
            f"INSERT INTO {SCHEMA}.matches (match_id, alert_id, obs_type, obs_id, revision,"
            " score, explanation, engine_version, status, reason)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (match_id) DO UPDATE SET revision = EXCLUDED.revision,"
            " score = EXCLUDED.score, explanation = EXCLUDED.explanation,"
            " engine_version = EXCLUDED.engine_version, status = EXCLUDED.status,"
            " reason = EXCLUDED.reason, updated_at = now()",
            match.match_id,
            match.alert_id,
            match.obs_type,
            match.obs_id,
            match.revision,
            match.score,
            match.explanation,
            match.engine_version,
            match.status,
            match.reason,
        )

    async def withdraw_match(
        self, match_id: str, revision: int, reason: str, engine_version: str
    ) -> None:
        await self._conn.execute(
            f"UPDATE {SCHEMA}.matches SET status = 'withdrawn', revision = $2, reason = $3,"
            " engine_version = $4, updated_at = now() WHERE match_id = $1",
            match_id,
            revision,
            reason,
            engine_version,
        )

    async def live_match_observations(self, alert_id: str) -> list[ObsRef]:
        rows = await self._conn.fetch(
            f"SELECT obs_type, obs_id::text FROM {SCHEMA}.matches WHERE alert_id = $1"
            " AND status = 'proposed' AND review IS NULL ORDER BY obs_type, obs_id",
            alert_id,
        )
        return [(r["obs_type"], r["obs_id"]) for r in rows]

    async def observation(self, obs_type: str, obs_id: str) -> dict[str, Any] | None:
        data: dict[str, Any] | None = await self._conn.fetchval(
            f"SELECT data FROM {SCHEMA}.observations WHERE obs_type = $1 AND obs_id = $2"
            " AND erased_at IS NULL",
            obs_type,
            obs_id,
        )
        return data

    async def match_states(self, refs: Sequence[ObsRef]) -> dict[ObsRef, dict[str, MatchState]]:
        ordered = sorted(set(refs))
        types, ids = [t for t, _ in ordered], [i for _, i in ordered]
        # Lock the observations in one order (no deadlock between two instances).
        await self._conn.execute(
            f"SELECT 1 FROM {SCHEMA}.observations WHERE (obs_type, obs_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::uuid[]))"
            " ORDER BY obs_type, obs_id FOR UPDATE",
            types,
            ids,
        )
        rows = await self._conn.fetch(
            "SELECT match_id::text, alert_id::text, obs_type, obs_id::text, revision, status,"
            f" score, review, reason FROM {SCHEMA}.matches WHERE (obs_type, obs_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::uuid[]))",
            types,
            ids,
        )
        out: dict[ObsRef, dict[str, MatchState]] = {ref: {} for ref in ordered}
        for r in rows:
            out.setdefault((r["obs_type"], r["obs_id"]), {})[r["match_id"]] = MatchState(
                r["match_id"],
                r["alert_id"],
                r["revision"],
                r["status"],
                r["score"],
                r["review"],
                r["reason"],
            )
        return out


class PostgresCorrelatorRepository(PostgresStore[_PostgresTransaction]):
    """The correlator's tables in PostgreSQL."""

    transaction_class = _PostgresTransaction
