"""The port the correlator's use cases see: what they may read and change in one transaction.

`PostgresCorrelatorRepository` (postgres.py) implements it with plain SQL; the unit tests
stand on an in-memory fake that one contract test holds to the same behaviour.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.common.audit import AuditEntry
from services.common.envelope import CloudEvent
from services.correlator.domain.decisions import MatchState

Pair = tuple[str, str, str]  # (alert id, observation type, observation id)
ObsRef = tuple[str, str]  # (observation type, observation id)


@dataclass(frozen=True)
class AlertChange:
    alert_id: str
    status: str
    data: dict[str, Any]
    published_at: datetime
    change_seq: int
    resolved_at: datetime | None = None
    erased: bool = False


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
    status: str = "proposed"  # proposed | withdrawn
    reason: str | None = None  # why it was withdrawn


@dataclass(frozen=True)
class StoredReview:
    """An investigator's decision with the comparison levels the engine saw for the pair."""

    obs_type: str
    decision: str
    levels: dict[str, str]
    engine_version: str | None


@dataclass(frozen=True)
class StandingRow:
    """A stored observation an alert stands out for, with the score of that pair."""

    obs_type: str
    data: dict[str, Any]
    match_id: str
    score: float


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
        """Merge changed fields into an active alert; False if there is no such active alert.
        The first last-seen report is kept under `first_seen` when `last_seen` changes."""

    async def resolve_alert(
        self, alert_id: str, resolution: str, resolved_at: datetime | None = None
    ) -> bool:
        """Mark an active alert resolved (at `resolved_at`); False if there is none."""

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

    async def observation(self, obs_type: str, obs_id: str) -> dict[str, Any] | None:
        """The stored data of one observation."""

    async def match_states(self, refs: Sequence[ObsRef]) -> dict[ObsRef, dict[str, MatchState]]:
        """The latest word on every match of these observations (by observation, then match
        id); the observations are locked until the transaction ends, so two events never
        re-decide one observation at once."""

    async def live_match_observations(self, alert_id: str) -> list[ObsRef]:
        """The observations the alert is proposed for (live, not reviewed), by reference."""

    async def reviews_for(self, refs: Sequence[ObsRef]) -> dict[ObsRef, dict[str, str]]:
        """Investigators' decisions on these observations: alert id to decision."""

    async def lock_alerts(self, alert_ids: Sequence[str]) -> None:
        """Until the transaction ends, no other transaction decides an observation for these
        alerts: two instances deciding two observations of one alert at once would each miss
        the other (neither committed), and keep both where the alert must keep one."""

    async def save_standing(self, ref: ObsRef, winners: Sequence[tuple[str, str, float]]) -> None:
        """The alerts the observation stands out for in its latest decision (alert id, match
        id, score), replacing those it stood out for before."""

    async def standing_observations(self, alert_id: str, obs_type: str) -> list[StandingRow]:
        """The stored observations of one type (not erased) the alert stands out for, by id."""

    async def standing_alerts(self, ref: ObsRef) -> list[str]:
        """The alerts the observation stands out for in its latest decision, by id."""

    async def stored_matches(self, match_ids: Sequence[str]) -> dict[str, StoredMatch]: ...

    async def rejected_among(self, pairs: Sequence[Pair]) -> set[Pair]: ...

    async def all_rejected(self) -> list[Pair]: ...

    async def save_match(self, match: MatchRecord) -> None:
        """Insert the match or replace its revision, status, score and explanation."""

    async def withdraw_match(
        self, match_id: str, revision: int, reason: str, engine_version: str
    ) -> None:
        """Mark a proposed match withdrawn at `revision` (score and explanation are kept)."""

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
        """Store an investigator's decision (the latest one per pair wins) with the levels the
        engine saw; a rejected pair is remembered even before its match exists, a confirmation
        forgets an earlier rejection."""

    async def count_name_tokens(self, keys: Sequence[str]) -> None:
        """Add one record to the count of each name-token key."""

    async def name_token_counts(self) -> dict[str, int]:
        """Records per name-token key, for the keys the engine derives now
        (`names.TOKEN_KEY_VERSION`): counts kept under an older derivation are not returned."""

    async def stored_reviews(self) -> list[StoredReview]:
        """Every review that carries levels (for refitting), oldest first."""

    async def emit(self, event: CloudEvent) -> None:
        """Publish `event` if and only if this transaction commits (the outbox)."""


class ErasureTransaction(CorrelatorTransaction, Protocol):
    """What applying an erasure needs besides the use cases' port (postgres_erasure.py)."""

    async def erase_alert(self, alert_id: str, at: datetime) -> bool:
        """Erase the alert's data and the explanation details of its matches; False if it was
        erased already."""

    async def erase_observation(self, obs_type: str, obs_id: str, at: datetime) -> bool: ...

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None: ...


class CorrelatorRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[CorrelatorTransaction]: ...
