"""SQL for data protection in the notifier's store: erasing what it keeps about an alert or an
observation (the place in its routing context, the explanation details of its matches, and the
same in the notifications already stored), and finding an authority's subscriptions. Part of
the PostgreSQL store (`postgres.py`), kept apart to keep each module short."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.common.audit import AuditEntry, append
from services.notifier.config import SCHEMA

S = f'"{SCHEMA}"'
_STRIP = (
    "(SELECT coalesce(jsonb_agg(item - 'detail'), '[]'::jsonb)"
    " FROM jsonb_array_elements({}) AS item)"
)


class ErasureSql:
    _conn: asyncpg.Connection

    async def erase_alert_context(self, alert_id: str, at: datetime) -> bool:
        row = await self._conn.fetchrow(
            f"UPDATE {S}.alert_context SET last_seen = jsonb_build_object('at', last_seen->'at'),"
            " erased_at = $2, updated_at = now() WHERE alert_id = $1 AND erased_at IS NULL"
            " RETURNING 1",
            alert_id,
            at,
        )
        await self._strip("alert_id = $1", "alert,last_seen,location", alert_id)
        return row is not None

    async def erase_observation_context(self, obs_type: str, obs_id: str, at: datetime) -> bool:
        row = await self._conn.fetchrow(
            f"UPDATE {S}.observation_context SET seen = jsonb_build_object('at', seen->'at'),"
            " erased_at = $3 WHERE obs_type = $1 AND obs_id = $2 AND erased_at IS NULL"
            " RETURNING 1",
            obs_type,
            obs_id,
            at,
        )
        await self._strip(
            "obs_type = $1 AND obs_id = $2::uuid", "observation,seen,location", obs_type, obs_id
        )
        return row is not None

    async def _strip(self, where: str, place: str, *args: str) -> None:
        """Explanation details out of the matches, and out of their notifications with the
        erased record's place."""
        await self._conn.execute(
            f"UPDATE {S}.matches SET explanation = {_STRIP.format('explanation')} WHERE {where}",
            *args,
        )
        await self._conn.execute(
            f"UPDATE {S}.notifications SET payload = jsonb_set(payload #- '{{{place}}}',"
            " '{match,explanation}', "
            + _STRIP.format("coalesce(payload->'match'->'explanation', '[]'::jsonb)")
            + f") WHERE match_id IN (SELECT match_id FROM {S}.matches WHERE {where})",
            *args,
        )

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        await append(self._conn, SCHEMA, entries)
