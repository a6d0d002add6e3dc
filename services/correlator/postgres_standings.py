"""SQL for standings in the correlator's store: which alerts stand out for each observation in
its latest decision, and an alert's stored observations of one kind (with their data) that it
stands out for. Part of the PostgreSQL store (`postgres.py`), kept apart to keep each module
short."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.correlator.config import SCHEMA
from services.correlator.repository import ObsRef, StandingRow

# The class of the per-alert advisory locks (two-key form: never the index lock's key).
_ALERT_LOCK_CLASS = 0x4B4C  # "KL"


class StandingSql:
    _conn: asyncpg.Connection

    async def lock_alerts(self, alert_ids: Sequence[str]) -> None:
        # Taken in one order within the statement; across statements a deadlock is possible,
        # which PostgreSQL breaks and the consumer retries as a transient failure.
        await self._conn.execute(
            f"SELECT pg_advisory_xact_lock({_ALERT_LOCK_CLASS}, hashtext(a))"
            " FROM (SELECT DISTINCT a FROM unnest($1::text[]) AS a ORDER BY a) AS chosen",
            list(alert_ids),
        )

    async def save_standing(self, ref: ObsRef, winners: Sequence[tuple[str, str, float]]) -> None:
        await self._conn.execute(
            f"DELETE FROM {SCHEMA}.standings WHERE obs_type = $1 AND obs_id = $2", *ref
        )
        if winners:
            await self._conn.executemany(
                f"INSERT INTO {SCHEMA}.standings (alert_id, obs_type, obs_id, match_id, score)"
                " VALUES ($1, $2, $3, $4, $5)",
                [(alert, ref[0], ref[1], match, score) for alert, match, score in winners],
            )

    async def standing_observations(self, alert_id: str, obs_type: str) -> list[StandingRow]:
        rows = await self._conn.fetch(
            "SELECT o.data, s.match_id::text, s.score"
            f" FROM {SCHEMA}.standings s JOIN {SCHEMA}.observations o"
            " USING (obs_type, obs_id)"
            " WHERE s.alert_id = $1 AND s.obs_type = $2 AND o.erased_at IS NULL"
            " ORDER BY s.obs_id",
            alert_id,
            obs_type,
        )
        return [StandingRow(obs_type, r["data"], r["match_id"], r["score"]) for r in rows]

    async def standing_alerts(self, ref: ObsRef) -> list[str]:
        rows = await self._conn.fetch(
            f"SELECT alert_id::text FROM {SCHEMA}.standings WHERE obs_type = $1 AND obs_id = $2"
            " ORDER BY alert_id",
            *ref,
        )
        return [r["alert_id"] for r in rows]
