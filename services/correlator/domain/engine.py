"""The matching engine: active alerts, candidate generation, scoring and proposals (no I/O).

The streaming correlator and the offline `kinlink match` command drive this same class.  A
pair's score is a pure function of the alert's current data, the observation and the bundled
tables and weights; which alerts are proposed for an observation depends, beyond that, only on
the set of active alerts (its candidates and the best of them), never on event history.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.correlator.domain.features import RecordFeatures, record_features
from services.correlator.domain.index import DEFAULT_BUDGET, InvertedIndex
from services.correlator.domain.model import (
    Alert,
    Observation,
    ObservationKind,
    parse_alert,
    parse_observation,
)
from services.correlator.domain.scoring import (
    Comparison,
    compare,
    explain,
    probability,
    total_bits,
)
from services.correlator.domain.tables import EngineTables

MATCH_NAMESPACE = uuid.UUID("6f1c1b0e-5d55-4d8a-9a43-1c5e0c7a2b11")
ENGINE_NAME = "kinlink-correlator/2"


def match_id(alert_id: str, obs_type: str, obs_id: str) -> str:
    """Deterministic match id: reprocessing the same pair never creates a second match."""
    return str(uuid.uuid5(MATCH_NAMESPACE, f"{alert_id}/{obs_type}/{obs_id}"))


def observation_features(obs: Observation) -> RecordFeatures:
    return record_features(obs.person, obs.time, obs.location)


def alert_features(alert: Alert) -> RecordFeatures:
    # An alert's age range is the age when last seen.
    return record_features(alert.child, alert.last_seen_at, alert.last_seen_location)


@dataclass(frozen=True, slots=True)
class Proposal:
    match_id: str
    alert_id: str
    observation_type: str
    observation_id: str
    score: float
    bits: float
    explanation: list[dict[str, Any]]
    engine_version: str


@dataclass(slots=True)
class EngineStats:
    observations_matched: int = 0
    candidates_scored: int = 0
    keys_skipped: int = 0
    alerts_backfilled: int = 0

    @property
    def candidates_per_observation(self) -> float:
        return (
            self.candidates_scored / self.observations_matched if self.observations_matched else 0.0
        )


@dataclass(frozen=True, slots=True)
class _Scored:
    comparison: Comparison
    bits: float
    score: float


class _AlertEntry:
    __slots__ = ("alert", "features")

    def __init__(self, alert: Alert, features: RecordFeatures) -> None:
        self.alert = alert
        self.features = features


class MatchEngine:
    """Scores observations against active alerts and alerts against given observations."""

    def __init__(
        self,
        tables: EngineTables,
        threshold: float | None = None,
        budget: int = DEFAULT_BUDGET,
    ) -> None:
        self.weights = tables.weights
        self.threshold = threshold if threshold is not None else self.weights.threshold
        self.engine_version = f"{ENGINE_NAME}+weights/{self.weights.version}"
        # Static tables only: a pair's score never depends on what the engine saw before.
        self.frequencies = tables.frequencies
        self._blocker = tables.blocker
        self.stats = EngineStats()
        self._budget = budget
        self._alerts: dict[str, _AlertEntry] = {}
        self._index = InvertedIndex()
        self._rejected: set[tuple[str, str, str]] = set()
        # Sees every scored pair (used to fit weights on labelled scenarios).
        self.observer: Callable[[str, Observation, Comparison], None] | None = None

    @property
    def active_alerts(self) -> int:
        return len(self._alerts)

    def alert(self, alert_id: str) -> Alert | None:
        entry = self._alerts.get(alert_id)
        return entry.alert if entry is not None else None

    def observation_blocking_keys(self, obs: Observation) -> tuple[str, ...]:
        """Keys to store with an observation (PostgreSQL text[] with a GIN index): a new or
        updated alert finds its candidate observations with `keys && alert_blocking_keys`."""
        return self._blocker.keys(observation_features(obs))

    def alert_blocking_keys(self, alert: Alert) -> tuple[str, ...]:
        """Keys to look up stored observations for an alert with (`keys && ...`)."""
        return self._blocker.keys(alert_features(alert), query="alert")

    def _store(self, alert: Alert) -> None:
        features = alert_features(alert)
        self._alerts[alert.alert_id] = _AlertEntry(alert, features)
        self._index.add(alert.alert_id, self._blocker.keys(features))

    def apply_alert_published(
        self, data: dict[str, Any], event_time: datetime | None = None
    ) -> Alert:
        alert = parse_alert(data)
        if alert.last_seen_at is None and event_time is not None:
            alert = Alert(
                alert.alert_id,
                alert.status,
                alert.category,
                alert.authority_id,
                alert.authority_country,
                alert.child,
                event_time,
                alert.last_seen_location,
            )
        if alert.status not in ("active", "published"):
            self.apply_alert_resolved({"alert_id": alert.alert_id})
            return alert
        self._store(alert)
        return alert

    def apply_alert_updated(self, data: dict[str, Any]) -> Alert | None:
        """Apply changes to an active alert and re-index it; None if the alert is not active."""
        entry = self._alerts.get(str(data.get("alert_id", "")))
        changes = data.get("changes")
        if entry is None or not isinstance(changes, dict):
            return None
        updated = entry.alert.with_changes(changes)
        self._store(updated)
        return updated

    def apply_alert_resolved(self, data: dict[str, Any]) -> None:
        alert_id = str(data.get("alert_id", ""))
        self._alerts.pop(alert_id, None)
        self._index.remove(alert_id)

    def reject_pair(self, alert_id: str, obs_type: str, obs_id: str) -> None:
        self._rejected.add((alert_id, obs_type, obs_id))

    def compare_pair(self, alert_id: str, obs: RecordFeatures) -> Comparison | None:
        entry = self._alerts.get(alert_id)
        return compare(entry.features, obs, self.frequencies) if entry is not None else None

    def candidate_alerts(self, obs: RecordFeatures) -> list[str]:
        """Active alerts sharing a blocking key with the observation; a function of the set of
        active alerts only (never of the order they arrived in)."""
        found, skipped = self._index.candidates(
            self._blocker.keys(obs, query="observation"), self._budget
        )
        self.stats.keys_skipped += skipped
        return found

    def _proposal(self, alert_id: str, obs: Observation, scored: _Scored) -> Proposal:
        return Proposal(
            match_id=match_id(alert_id, obs.kind, obs.obs_id),
            alert_id=alert_id,
            observation_type=obs.kind,
            observation_id=obs.obs_id,
            score=scored.score,
            bits=round(scored.bits, 4),
            explanation=explain(self.weights, scored.comparison),
            engine_version=self.engine_version,
        )

    def _scored(
        self, alert_ids: Iterable[str], obs: Observation, features: RecordFeatures
    ) -> dict[str, _Scored]:
        """Each candidate's comparison, bits and calibrated score (rejected pairs left out)."""
        out: dict[str, _Scored] = {}
        for alert_id in alert_ids:
            if alert_id in out or (alert_id, obs.kind, obs.obs_id) in self._rejected:
                continue
            comparison = self.compare_pair(alert_id, features)
            if comparison is None:
                continue
            self.stats.candidates_scored += 1
            if self.observer is not None:
                self.observer(alert_id, obs, comparison)
            bits = total_bits(self.weights, comparison)
            score = round(probability(self.weights, bits), 6)
            out[alert_id] = _Scored(comparison, bits, score)
        return out

    def _kept(self, scored: dict[str, _Scored]) -> list[str]:
        """Alerts to propose: above the threshold and within the margin of the observation's
        best-scoring alert, so one clearly dominant alert hides the crowd of namesakes."""
        if not scored:
            return []
        best = max(item.bits for item in scored.values())
        floor = best - self.weights.margin_bits
        return [
            alert_id
            for alert_id, item in scored.items()
            if item.score >= self.threshold and item.bits >= floor
        ]

    def match_observation(self, kind: ObservationKind, data: dict[str, Any]) -> list[Proposal]:
        """Proposals (best first) for a new registration or sighting against active alerts."""
        obs = parse_observation(kind, data)
        return self.match_parsed_observation(obs)

    def match_parsed_observation(self, obs: Observation) -> list[Proposal]:
        features = observation_features(obs)
        self.stats.observations_matched += 1
        scored = self._scored(self.candidate_alerts(features), obs, features)
        proposals = [self._proposal(a, obs, scored[a]) for a in self._kept(scored)]
        proposals.sort(key=lambda p: (-p.score, p.alert_id))
        return proposals

    def match_alert(self, alert_id: str, observations: Iterable[Observation]) -> list[Proposal]:
        """Backfill: a new or updated active alert against stored observations (handed in by the
        caller, e.g. fetched by blocking keys since the alert's last-seen time).  A pair is
        proposed exactly when matching the observation now would propose it."""
        if alert_id not in self._alerts:
            return []
        self.stats.alerts_backfilled += 1
        proposals: list[Proposal] = []
        for obs in observations:
            features = observation_features(obs)
            own = self._scored((alert_id,), obs, features).get(alert_id)
            if own is None or own.score < self.threshold:
                continue
            rivals = [a for a in self.candidate_alerts(features) if a != alert_id]
            scored = self._scored(rivals, obs, features)
            scored[alert_id] = own
            if alert_id in self._kept(scored):
                proposals.append(self._proposal(alert_id, obs, own))
        proposals.sort(key=lambda p: (-p.score, p.observation_type, p.observation_id))
        return proposals
