"""The correlator's store: alerts, observations, matches and rejected pairs (schema `correlator`).

`CorrelatorRepository` is the port the use cases see; `PostgresCorrelatorRepository` implements
it with plain SQL. All work happens inside a transaction (`CorrelatorTransaction`): opened by
`transaction()`, or by the consumer runner, which claims the event in the inbox in the same
transaction and hands its connection to `in_transaction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.common.envelope import CloudEvent
from services.common.store import PostgresStore, PostgresTransaction
from services.correlator.config import SCHEMA

# Serialises alert changes (exclusive) against observations (shared) across instances.
_INDEX_LOCK_KEY = 0x6B696E6C696E6B  # "kinlink"

Pair = tuple[str, str, str]  # (alert id, observation type, observation id)


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


@dataclass(frozen=True)
class MatchRecord:
    match_id: str
    alert_id: str
    obs_type: str
    obs_id: str
    revision: int
    score: float
    explanation: list[dict[str, Any]]
    engine_version: str


class CorrelatorTransaction(Protocol):
    """What a use case may read and change, atomically, while applying one event."""

    async def lock_alert_index(self, *, exclusive: bool) -> None:
        """Exclusive for alert changes, shared for observations, until the transaction ends."""

    async def alert_changes_since(self, after_seq: int) -> list[AlertChange]: ...

    async def insert_alert(
        self,
        alert_id: str,
        data: dict[str, Any],
        published_at: datetime,
        last_seen_at: datetime | None,
    ) -> bool:
        """Store a newly published alert; False if it was already known."""

    async def update_alert(
        self, alert_id: str, changes: dict[str, Any], last_seen_at: datetime | None
    ) -> bool:
        """Merge changed fields into an active alert; False if there is no such active alert."""

    async def resolve_alert(self, alert_id: str, resolution: str) -> bool: ...

    async def insert_observation(
        self,
        obs_type: str,
        obs_id: str,
        observed_at: datetime,
        data: dict[str, Any],
        keys: Sequence[str],
    ) -> bool:
        """Store an observation with its blocking keys; False if it was already known."""

    async def candidate_observations(
        self, keys: Sequence[str], since: datetime | None, limit: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """(type, data) of observations sharing a key, observed since `since`, oldest first."""

    async def stored_matches(self, match_ids: Sequence[str]) -> dict[str, StoredMatch]: ...

    async def rejected_among(self, pairs: Sequence[Pair]) -> set[Pair]: ...

    async def all_rejected(self) -> list[Pair]: ...

    async def save_match(self, match: MatchRecord) -> None:
        """Insert the match or replace its revision, score and explanation."""

    async def record_review(
        self,
        *,
        match_id: str,
        alert_id: str,
        obs_type: str,
        obs_id: str,
        decision: str,
        at: datetime,
    ) -> None:
        """Store an investigator's decision; a rejected pair is remembered even before its
        match exists, a confirmation forgets an earlier rejection."""

    async def emit(self, event: CloudEvent) -> None:
        """Publish `event` if and only if this transaction commits (the outbox)."""


class CorrelatorRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[CorrelatorTransaction]: ...


class _PostgresTransaction(PostgresTransaction):
    schema = SCHEMA

    async def lock_alert_index(self, *, exclusive: bool) -> None:
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await self._conn.execute(f"SELECT {lock}($1)", _INDEX_LOCK_KEY)

    async def alert_changes_since(self, after_seq: int) -> list[AlertChange]:
        rows = await self._conn.fetch(
            f"SELECT alert_id::text, status, data, published_at, change_seq FROM {SCHEMA}.alerts"
            " WHERE change_seq > $1 ORDER BY change_seq",
            after_seq,
        )
        return [
            AlertChange(r["alert_id"], r["status"], r["data"], r["published_at"], r["change_seq"])
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
        row = await self._conn.fetchrow(
            f"UPDATE {SCHEMA}.alerts SET data = data || $2::jsonb,"
            " last_seen_at = COALESCE($3, last_seen_at),"
            f" change_seq = nextval('{SCHEMA}.alert_change_seq'), updated_at = now()"
            " WHERE alert_id = $1 AND status = 'active' RETURNING 1",
            alert_id,
            changes,
            last_seen_at,
        )
        return row is not None

    async def resolve_alert(self, alert_id: str, resolution: str) -> bool:
        row = await self._conn.fetchrow(
            f"UPDATE {SCHEMA}.alerts SET status = 'resolved', resolution = $2,"
            f" change_seq = nextval('{SCHEMA}.alert_change_seq'), updated_at = now()"
            " WHERE alert_id = $1 AND status = 'active' RETURNING 1",
            alert_id,
            resolution,
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
            " score, explanation, engine_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (match_id) DO UPDATE SET revision = EXCLUDED.revision,"
            " score = EXCLUDED.score, explanation = EXCLUDED.explanation,"
            " engine_version = EXCLUDED.engine_version, updated_at = now()",
            match.match_id,
            match.alert_id,
            match.obs_type,
            match.obs_id,
            match.revision,
            match.score,
            match.explanation,
            match.engine_version,
        )

    async def record_review(
        self,
        *,
        match_id: str,
        alert_id: str,
        obs_type: str,
        obs_id: str,
        decision: str,
        at: datetime,
    ) -> None:
        await self._conn.execute(
            f"UPDATE {SCHEMA}.matches SET review = $2, reviewed_at = $3, updated_at = now()"
            " WHERE match_id = $1",
            match_id,
            decision,
            at,
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


class PostgresCorrelatorRepository(PostgresStore[_PostgresTransaction]):
    """The correlator's tables in PostgreSQL."""

    transaction_class = _PostgresTransaction
