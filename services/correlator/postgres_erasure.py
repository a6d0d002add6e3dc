"""SQL for erasure in the correlator's store: an erased alert or observation keeps its id and
dates, loses its data, and the matches involving it lose the explanation details that quote
it (names, birth data, places); signals and contributions stay. Part of the PostgreSQL store
(`postgres.py`), kept apart to keep each module short."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.common.audit import AuditEntry, append
from services.correlator.config import SCHEMA

# An explanation item without its `detail` text: what was compared, not what it said.
_STRIP_DETAILS = (
    "(SELECT coalesce(jsonb_agg(item - 'detail'), '[]'::jsonb)"
    " FROM jsonb_array_elements(explanation) AS item)"
)


class ErasureSql:
    _conn: asyncpg.Connection

    async def erase_alert(self, alert_id: str, at: datetime) -> bool:
        """Erase an alert's data; it leaves the index (its change is caught up as erased)."""
        row = await self._conn.fetchrow(
            f"UPDATE {SCHEMA}.alerts SET data = jsonb_build_object('alert_id', alert_id::text,"
            " 'erased', true), status = 'resolved', resolved_at = coalesce(resolved_at, $2),"
            f" erased_at = $2, change_seq = nextval('{SCHEMA}.alert_change_seq'),"
            " updated_at = now() WHERE alert_id = $1 AND erased_at IS NULL RETURNING 1",
            alert_id,
            at,
        )
        if row is not None:
            await self._strip_matches("alert_id = $1", alert_id)
            await self._conn.execute(
                f"DELETE FROM {SCHEMA}.standings WHERE alert_id = $1", alert_id
            )
        return row is not None

    async def erase_observation(self, obs_type: str, obs_id: str, at: datetime) -> bool:
        row = await self._conn.fetchrow(
            f"UPDATE {SCHEMA}.observations SET data = jsonb_build_object("
            " obs_type || '_id', obs_id::text, 'erased', true), blocking_keys = '{}',"
            " erased_at = $3 WHERE obs_type = $1 AND obs_id = $2 AND erased_at IS NULL"
            " RETURNING 1",
            obs_type,
            obs_id,
            at,
        )
        if row is not None:
            await self._strip_matches("obs_type = $1 AND obs_id = $2::uuid", obs_type, obs_id)
            await self._conn.execute(
                f"DELETE FROM {SCHEMA}.standings WHERE obs_type = $1 AND obs_id = $2",
                obs_type,
                obs_id,
            )
        return row is not None

    async def _strip_matches(self, where: str, *args: Any) -> None:
        ids = await self._conn.fetch(
            f"UPDATE {SCHEMA}.matches SET explanation = {_STRIP_DETAILS} WHERE {where}"
            " RETURNING match_id::text",
            *args,
        )
        # Published match events quote the explanation; the relay needs them no more.
        await self._conn.execute(
            f"DELETE FROM {SCHEMA}.outbox WHERE sent_at IS NOT NULL AND event_key = ANY($1)",
            [r["match_id"] for r in ids],
        )

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        await append(self._conn, SCHEMA, entries)
