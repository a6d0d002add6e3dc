"""The engine's small records: match ids, per-alert and per-observation entries, scored pairs
and counters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.model import Alert
from services.correlator.domain.scoring import Comparison

if TYPE_CHECKING:
    from services.correlator.domain.decisions import Decision

MATCH_NAMESPACE = uuid.UUID("6f1c1b0e-5d55-4d8a-9a43-1c5e0c7a2b11")


def match_id(alert_id: str, obs_type: str, obs_id: str) -> str:
    """Deterministic match id: reprocessing the same pair never creates a second match."""
    return str(uuid.uuid5(MATCH_NAMESPACE, f"{alert_id}/{obs_type}/{obs_id}"))


@dataclass(slots=True)
class EngineStats:
    observations_matched: int = 0
    candidates_scored: int = 0
    keys_skipped: int = 0
    vetoed_cheaply: int = 0  # candidates dropped by time before any name was compared
    refused_cheaply: int = 0  # weak candidates whose sex or birth contradicts the observation
    bounded: int = 0  # pairs whose bits were bounded below what can matter, never fully scored

    @property
    def candidates_per_observation(self) -> float:
        return (
            self.candidates_scored / self.observations_matched if self.observations_matched else 0.0
        )


@dataclass(frozen=True, slots=True)
class Scored:
    comparison: Comparison
    bits: float
    score: float


class AlertEntry:
    __slots__ = ("alert", "features", "resolved_at", "query_keys")

    def __init__(self, alert: Alert, features: RecordFeatures, resolved_at: float | None) -> None:
        self.alert = alert
        self.features = features
        self.resolved_at = resolved_at
        self.query_keys: tuple[str, ...] | None = None  # to look up stored observations with

    def competes(self, at: float | None) -> bool:
        """Active, or resolved after the observation was made."""
        return self.resolved_at is None or (at is not None and at < self.resolved_at)


# A pair's bits and score, valid while the alert's features are this very object.
PairScore = tuple[RecordFeatures, float, float]


class ObservationCache:
    """What the engine keeps about one observation: its features, the bits and score of every
    alert it was compared with (a pure function of the two records) or that it was bounded
    below what can matter, and its last decision with the engine generation and reviews it was
    taken under."""

    __slots__ = ("features", "pairs", "bounded", "decision", "generation", "reviews", "competing")

    def __init__(self, features: RecordFeatures) -> None:
        self.features = features
        self.pairs: dict[str, PairScore] = {}
        # Alerts (by id, with the features they had) whose bits were bounded below what can
        # matter to a decision (see `bounds`).
        self.bounded: dict[str, RecordFeatures] = {}
        self.decision: Decision | None = None
        self.generation = -1
        self.reviews: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        self.competing = 0  # candidates that competed in the last decision
