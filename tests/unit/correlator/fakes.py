"""`InMemoryCorrelatorRepository`: the correlator's store in memory, for unit tests of the use
cases.

It behaves as `PostgresCorrelatorRepository` does, and tests/integration/correlator/
test_repository_contract.py runs the same tests against both: transactions are all or nothing;
every alert change takes the next `change_seq` (a sequence: never reused, even when the change is
rolled back); ids are UUIDs in canonical form; candidate observations share a blocking key and
come oldest first; a rejected pair is kept even before its match exists; `emit` validates as the
outbox does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.common.envelope import CloudEvent
from services.common.schema_registry import SchemaRegistry
from services.correlator.domain.decisions import MatchState
from services.correlator.repository import (
    AlertChange,
    MatchRecord,
    ObsRef,
    Pair,
    StandingRow,
    StoredMatch,
)
from tests.unit.correlator.fake_learning import LearningTables, MemoryLearning
from tests.unit.fake_store import (
    Closable,
    MemoryStore,
    OutboxRows,
    enqueue,
    stored_json,
)

OBSERVATION_TYPES = ("registration", "sighting")
DECISIONS = ("confirmed", "rejected")


@dataclass
class StoredAlert:
    change: AlertChange
    last_seen_at: datetime | None
    resolution: str | None = None


@dataclass
class StoredObservation:
    observed_at: datetime
    data: dict[str, Any]
    keys: frozenset[str]


@dataclass
class StoredMatchRow:
    record: MatchRecord
    review: str | None = None
    reviewed_at: datetime | None = None


@dataclass
class CorrelatorTables(LearningTables):
    alerts: dict[str, StoredAlert] = field(default_factory=dict)
    observations: dict[tuple[str, str], StoredObservation] = field(default_factory=dict)
    matches: dict[str, StoredMatchRow] = field(default_factory=dict)
    rejected: dict[Pair, tuple[str, datetime]] = field(default_factory=dict)  # match id, when
    # Per observation, the alerts it stands out for: (alert id, match id, score).
    standings: dict[tuple[str, str], list[tuple[str, str, float]]] = field(default_factory=dict)
    outbox: OutboxRows = field(default_factory=list)


class InMemoryCorrelatorRepository(MemoryStore[CorrelatorTables, "_MemoryTransaction"]):
    """The correlator's tables in memory; `emitted` lists the events of committed transactions."""

    def __init__(
        self,
        registry: SchemaRegistry,
        topic: Callable[[str], str] = lambda name: name,
    ) -> None:
        super().__init__(registry, topic, CorrelatorTables())
        self._change_seq = 0

    def _open(self, tables: CorrelatorTables) -> _MemoryTransaction:
        return _MemoryTransaction(self, tables)

    def next_change_seq(self) -> int:
        self._change_seq += 1
        return self._change_seq


def _uuid(text: str) -> str:
    """As PostgreSQL's uuid type stores and returns it (raises for a non-UUID)."""
    return str(uuid.UUID(text))


def _utc(moment: datetime) -> datetime:
    """As a timestamptz comes back: the same instant, in UTC."""
    return moment.astimezone(UTC)


def _pair(alert_id: str, obs_type: str, obs_id: str) -> Pair:
    return (_uuid(alert_id), obs_type, _uuid(obs_id))


class _MemoryTransaction(Closable, MemoryLearning):
    def __init__(self, repo: InMemoryCorrelatorRepository, tables: CorrelatorTables) -> None:
        self._repo = repo
        self._tables = tables

    async def lock_alert_index(self, *, exclusive: bool) -> None:
        self._check_open()  # transactions already run one at a time

    async def alert_changes_since(self, after_seq: int) -> list[AlertChange]:
        self._check_open()
        changes = [
            a.change for a in self._tables.alerts.values() if a.change.change_seq > after_seq
        ]
        return [
            replace(c, data=stored_json(c.data))
            for c in sorted(changes, key=lambda c: c.change_seq)
        ]

    async def insert_alert(
        self,
        alert_id: str,
        data: dict[str, Any],
        published_at: datetime,
        last_seen_at: datetime | None,
    ) -> bool:
        self._check_open()
        key = _uuid(alert_id)
        if key in self._tables.alerts:
            return False
        change = AlertChange(
            key, "active", stored_json(data), _utc(published_at), self._repo.next_change_seq()
        )
        self._tables.alerts[key] = StoredAlert(change, last_seen_at)
        return True

    def _active(self, alert_id: str) -> StoredAlert | None:
        stored = self._tables.alerts.get(_uuid(alert_id))
        return stored if stored is not None and stored.change.status == "active" else None

    async def update_alert(
        self, alert_id: str, changes: dict[str, Any], last_seen_at: datetime | None
    ) -> bool:
        self._check_open()
        stored = self._active(alert_id)
        if stored is None:
            return False
        data = stored.change.data
        first = (
            {"first_seen": data["last_seen"]}
            if "last_seen" in changes and "first_seen" not in data and "last_seen" in data
            else {}
        )
        merged = stored_json({**data, **changes, **first})  # jsonb `||`: top level
        seq = self._repo.next_change_seq()
        stored.change = replace(stored.change, data=merged, change_seq=seq)
        stored.last_seen_at = last_seen_at or stored.last_seen_at
        return True

    async def resolve_alert(
        self, alert_id: str, resolution: str, resolved_at: datetime | None = None
    ) -> bool:
        self._check_open()
        stored = self._active(alert_id)
        if stored is None:
            return False
        seq = self._repo.next_change_seq()
        when = _utc(resolved_at or datetime.now(UTC))
        stored.change = replace(stored.change, status="resolved", change_seq=seq, resolved_at=when)
        stored.resolution = resolution
        return True

    async def insert_observation(
        self,
        obs_type: str,
        obs_id: str,
        observed_at: datetime,
        data: dict[str, Any],
        keys: Sequence[str],
    ) -> bool:
        self._check_open()
        if obs_type not in OBSERVATION_TYPES:
            raise asyncpg.CheckViolationError("observations_obs_type_check")
        key = (obs_type, _uuid(obs_id))
        if key in self._tables.observations:
            return False
        self._tables.observations[key] = StoredObservation(
            _utc(observed_at), stored_json(data), frozenset(keys)
        )
        return True

    async def candidate_observations(
        self, keys: Sequence[str], since: datetime | None, limit: int
    ) -> list[tuple[str, dict[str, Any]]]:
        self._check_open()
        wanted = set(keys)
        found = [
            (obs.observed_at, obs_type, uuid.UUID(obs_id), obs.data)
            for (obs_type, obs_id), obs in self._tables.observations.items()
            if obs.keys & wanted and (since is None or obs.observed_at >= since)
        ]
        found.sort(key=lambda row: row[:3])
        return [(obs_type, stored_json(data)) for _, obs_type, _, data in found[:limit]]

    async def lock_alerts(self, alert_ids: Sequence[str]) -> None:
        self._check_open()  # transactions already run one at a time

    async def save_standing(self, ref: ObsRef, winners: Sequence[tuple[str, str, float]]) -> None:
        self._check_open()
        key = (ref[0], _uuid(ref[1]))
        if key not in self._tables.observations:
            raise asyncpg.ForeignKeyViolationError("standings_obs_type_obs_id_fkey")
        self._tables.standings[key] = [(_uuid(a), _uuid(m), score) for a, m, score in winners]

    async def standing_observations(self, alert_id: str, obs_type: str) -> list[StandingRow]:
        self._check_open()
        wanted = _uuid(alert_id)
        found = [
            (uuid.UUID(obs_id), match_id, score)
            for (kind, obs_id), winners in self._tables.standings.items()
            if kind == obs_type
            for alert, match_id, score in winners
            if alert == wanted
        ]
        return [
            StandingRow(
                obs_type,
                stored_json(self._tables.observations[(obs_type, str(obs_id))].data),
                match_id,
                score,
            )
            for obs_id, match_id, score in sorted(found)
        ]

    async def stored_matches(self, match_ids: Sequence[str]) -> dict[str, StoredMatch]:
        self._check_open()
        rows = {_uuid(m): self._tables.matches.get(_uuid(m)) for m in match_ids}
        return {
            match_id: StoredMatch(row.record.revision, row.record.score, row.review)
            for match_id, row in rows.items()
            if row is not None
        }

    async def rejected_among(self, pairs: Sequence[Pair]) -> set[Pair]:
        self._check_open()
        return {_pair(*p) for p in pairs if _pair(*p) in self._tables.rejected}

    async def all_rejected(self) -> list[Pair]:
        self._check_open()
        return list(self._tables.rejected)

    async def save_match(self, match: MatchRecord) -> None:
        self._check_open()
        match = replace(
            match,
            match_id=_uuid(match.match_id),
            alert_id=_uuid(match.alert_id),
            obs_id=_uuid(match.obs_id),
            explanation=stored_json(match.explanation),
        )
        current = self._tables.matches.get(match.match_id)
        if current is not None:  # ON CONFLICT (match_id): new revision, status, score, ...
            current.record = replace(
                current.record,
                revision=match.revision,
                score=match.score,
                explanation=match.explanation,
                engine_version=match.engine_version,
                status=match.status,
                reason=match.reason,
            )
            return
        pair = (match.alert_id, match.obs_type, match.obs_id)
        if any((m.alert_id, m.obs_type, m.obs_id) == pair for m in self._records()):
            raise asyncpg.UniqueViolationError("a match for this pair exists under another id")
        self._tables.matches[match.match_id] = StoredMatchRow(match)

    async def withdraw_match(
        self, match_id: str, revision: int, reason: str, engine_version: str
    ) -> None:
        self._check_open()
        row = self._tables.matches.get(_uuid(match_id))
        if row is not None:
            row.record = replace(
                row.record,
                status="withdrawn",
                revision=revision,
                reason=reason,
                engine_version=engine_version,
            )

    async def observation(self, obs_type: str, obs_id: str) -> dict[str, Any] | None:
        self._check_open()
        stored = self._tables.observations.get((obs_type, _uuid(obs_id)))
        return stored_json(stored.data) if stored is not None else None

    async def match_states(self, refs: Sequence[ObsRef]) -> dict[ObsRef, dict[str, MatchState]]:
        self._check_open()
        out: dict[ObsRef, dict[str, MatchState]] = {(t, _uuid(i)): {} for t, i in refs}
        for row in self._tables.matches.values():
            m = row.record
            if (m.obs_type, m.obs_id) in out:
                out[(m.obs_type, m.obs_id)][m.match_id] = MatchState(
                    m.match_id, m.alert_id, m.revision, m.status, m.score, row.review, m.reason
                )
        return out

    def _records(self) -> list[MatchRecord]:
        return [row.record for row in self._tables.matches.values()]

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
        self._check_open()
        match_id, pair = _uuid(match_id), _pair(alert_id, obs_type, obs_id)
        self._remember_review(pair, match_id, decision, _utc(at), levels, engine_version)
        row = self._tables.matches.get(match_id)
        if row is not None:
            if decision not in DECISIONS:
                raise asyncpg.CheckViolationError("matches_review_check")
            row.review, row.reviewed_at = decision, _utc(at)
        if decision == "rejected":
            self._tables.rejected.setdefault(pair, (match_id, _utc(at)))
        else:
            self._tables.rejected.pop(pair, None)

    async def emit(self, event: CloudEvent) -> None:
        self._check_open()
        enqueue(self._tables.outbox, event, self._repo.registry, self._repo.topic)
