"""SQL for what the correlator learns from: investigators' reviews (with the comparison levels
the engine saw) and the counts of name tokens over the stored records. Part of the PostgreSQL
store (`postgres.py`), kept apart to keep each module short."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.correlator.config import SCHEMA
from services.correlator.domain.names import TOKEN_KEY_VERSION
from services.correlator.repository import ObsRef, StoredReview


class ReviewSql:
    _conn: asyncpg.Connection

    async def record_review(
        self,
        *,
        match_id: str,
        alert_id: str,
        obs_type: str,
        obs_id: str,
        decision: str,
        at: datetime,
        levels: dict[str, str] | None = None,
        engine_version: str | None = None,
    ) -> None:
        await self._conn.execute(
            f"UPDATE {SCHEMA}.matches SET review = $2, reviewed_at = $3, updated_at = now()"
            " WHERE match_id = $1",
            match_id,
            decision,
            at,
        )
        await self._conn.execute(
            f"INSERT INTO {SCHEMA}.reviews (alert_id, obs_type, obs_id, match_id, decision,"
            " reviewed_at, levels, engine_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (alert_id, obs_type, obs_id) DO UPDATE SET decision = $5,"
            " reviewed_at = $6, levels = COALESCE($7, reviews.levels),"
            " engine_version = COALESCE($8, reviews.engine_version)"
            " WHERE reviews.reviewed_at <= $6",
            alert_id,
            obs_type,
            obs_id,
            match_id,
            decision,
            at,
            levels,
            engine_version,
        )
        if decision == "rejected":
            await self._conn.execute(
                f"INSERT INTO {SCHEMA}.rejected_pairs (alert_id, obs_type, obs_id, match_id,"
                " rejected_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                alert_id,
                obs_type,
                obs_id,
                match_id,
                at,
            )
        else:
            await self._conn.execute(
                f"DELETE FROM {SCHEMA}.rejected_pairs WHERE alert_id = $1 AND obs_type = $2"
                " AND obs_id = $3",
                alert_id,
                obs_type,
                obs_id,
            )

    async def reviews_for(self, refs: Sequence[ObsRef]) -> dict[ObsRef, dict[str, str]]:
        rows = await self._conn.fetch(
            f"SELECT alert_id::text, obs_type, obs_id::text, decision FROM {SCHEMA}.reviews"
            " WHERE (obs_type, obs_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))",
            [t for t, _ in refs],
            [i for _, i in refs],
        )
        out: dict[ObsRef, dict[str, str]] = {}
        for r in rows:
            out.setdefault((r["obs_type"], r["obs_id"]), {})[r["alert_id"]] = r["decision"]
        return out

    async def stored_reviews(self) -> list[StoredReview]:
        rows = await self._conn.fetch(
            f"SELECT obs_type, decision, levels, engine_version FROM {SCHEMA}.reviews"
            " WHERE levels IS NOT NULL ORDER BY reviewed_at, alert_id, obs_type, obs_id"
        )
        return [
            StoredReview(r["obs_type"], r["decision"], _levels(r["levels"]), r["engine_version"])
            for r in rows
        ]

    async def count_name_tokens(self, keys: Sequence[str]) -> None:
        if keys:
            await self._conn.execute(
                f"INSERT INTO {SCHEMA}.name_token_counts (key_version, token_key, records)"
                " SELECT $2, k, 1 FROM unnest($1::text[]) AS k"
                " ON CONFLICT (key_version, token_key)"
                " DO UPDATE SET records = name_token_counts.records + 1",
                sorted(set(keys)),
                TOKEN_KEY_VERSION,
            )

    async def name_token_counts(self) -> dict[str, int]:
        # Keys made by another derivation would count a name under a key no token has now.
        rows = await self._conn.fetch(
            f"SELECT token_key, records FROM {SCHEMA}.name_token_counts WHERE key_version = $1",
            TOKEN_KEY_VERSION,
        )
        return {r["token_key"]: int(r["records"]) for r in rows}


def _levels(value: object) -> dict[str, str]:
    raw = json.loads(value) if isinstance(value, str) else value
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
