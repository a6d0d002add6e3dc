"""The matching engine: alerts, candidate generation, scoring and decisions (no I/O).

The streaming correlator and the offline `kinlink match` command drive this same class. A
pair's score is a pure function of the alert's current data, the observation and the engine's
tables. An observation's decision (which alerts stand out for it) depends, beyond that, only on
the set of alerts competing for it: active alerts, and resolved ones for observations made
before their resolution (a child found does not hand its sightings to the runner-up). Ties are
broken by alert id, so the decision never depends on the order events arrived in. Whether an
alert that stands out for an observation keeps it when it also stands out for one that cannot
be the same child is decided after, from these decisions (`conflicts`, `decisions.reconcile`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any

from services.correlator.domain.candidates import AlertIndex
from services.correlator.domain.decisions import Decision, Proposal
from services.correlator.domain.engine_records import (
    AlertEntry,
    EngineStats,
    Scored,
    match_id,
)
from services.correlator.domain.explain import explain, rivals_entry
from services.correlator.domain.features import (
    RecordFeatures,
    alert_features,
    backfill_since,
    observation_features,
)
from services.correlator.domain.index import DEFAULT_BUDGET
from services.correlator.domain.model import (
    Alert,
    Observation,
    parse_alert,
    parse_observation,
    parse_time,
)
from services.correlator.domain.scoring import (
    Comparison,
    bits_of,
    compare,
    probability,
    total_bits,
)
from services.correlator.domain.spacetime import cheap_veto
from services.correlator.domain.tables import EngineTables

ENGINE_NAME = "kinlink-correlator/3"
RIVAL_BITS = 2.0  # "N other active alerts score within 2 bits of this one"
_FEATURE_CACHE = 200_000

__all__ = [
    "ENGINE_NAME",
    "MatchEngine",
    "Proposal",
    "alert_features",
    "backfill_since",
    "match_id",
    "observation_features",
]


class MatchEngine:
    """Holds the alerts and decides which of them stand out for an observation."""

    def __init__(
        self, tables: EngineTables, threshold: float | None = None, budget: int = DEFAULT_BUDGET
    ) -> None:
        self.weights = tables.weights
        self.thresholds = {
            kind: threshold if threshold is not None else value
            for kind, value in self.weights.threshold.items()
        }
        self.engine_version = f"{ENGINE_NAME}+weights/{self.weights.version}"
        self.frequencies = tables.frequencies
        self.routes = tables.routes
        self._blocker = tables.blocker
        self.stats = EngineStats()
        self._alerts: dict[str, AlertEntry] = {}
        self._index = AlertIndex(self._blocker, budget)
        # Per-record features are computed once per observation (they are re-decided often).
        self._obs_features: dict[tuple[str, str], RecordFeatures] = {}
        # Sees every scored pair (used to fit weights on labelled scenarios).
        self.observer: Callable[[str, Observation, Comparison], None] | None = None

    @property
    def active_alerts(self) -> int:
        return sum(1 for e in self._alerts.values() if e.resolved_at is None)

    def alert(self, alert_id: str) -> Alert | None:
        entry = self._alerts.get(alert_id)
        return entry.alert if entry is not None else None

    def alert_features(self, alert_id: str) -> RecordFeatures | None:
        entry = self._alerts.get(alert_id)
        return entry.features if entry is not None else None

    def is_active(self, alert_id: str) -> bool:
        entry = self._alerts.get(alert_id)
        return entry is not None and entry.resolved_at is None

    def features_of(self, obs: Observation) -> RecordFeatures:
        """The observation's features, computed once (an observation never changes)."""
        key = (obs.kind, obs.obs_id)
        features = self._obs_features.get(key)
        if features is None:
            if len(self._obs_features) >= _FEATURE_CACHE:
                self._obs_features.clear()
            features = self._obs_features[key] = observation_features(obs)
        return features

    def observation_blocking_keys(self, obs: Observation) -> tuple[str, ...]:
        """Keys to store with an observation; alerts find it with `alert_blocking_keys`."""
        return self._blocker.keys(self.features_of(obs))

    def alert_blocking_keys(self, alert: Alert) -> tuple[str, ...]:
        """Keys to look up stored observations for an alert with (`keys && ...`)."""
        return self._blocker.keys(alert_features(alert), query="alert")

    def features_blocking_keys(self, features: RecordFeatures) -> tuple[str, ...]:
        """Alert query keys from already computed features (e.g. an alert before an update)."""
        return self._blocker.keys(features, query="alert")

    def _store(self, alert: Alert, resolved_at: float | None = None) -> None:
        features = alert_features(alert)
        self._alerts[alert.alert_id] = AlertEntry(alert, features, resolved_at)
        self._index.add(alert.alert_id, features)

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
        inactive = alert.status not in ("active", "published")
        resolved_at = None
        if inactive:
            resolved_at = event_time.timestamp() if event_time else float("-inf")
        self._store(alert, resolved_at)
        return alert

    def apply_alert_updated(self, data: dict[str, Any]) -> tuple[RecordFeatures, Alert] | None:
        """Apply changes to an active alert; (its features before, the alert after), or None if
        the alert is not active."""
        entry = self._alerts.get(str(data.get("alert_id", "")))
        changes = data.get("changes")
        if entry is None or entry.resolved_at is not None or not isinstance(changes, dict):
            return None
        before = entry.features
        updated = entry.alert.with_changes(changes)
        self._store(updated)
        return before, updated

    def apply_alert_resolved(
        self, data: dict[str, Any], event_time: datetime | None = None
    ) -> Alert | None:
        """Mark an alert resolved: it stops being proposed, and competes only for
        observations made before its resolution."""
        entry = self._alerts.get(str(data.get("alert_id", "")))
        if entry is None or entry.resolved_at is not None:
            return None
        at = parse_time(data.get("at")) or event_time
        entry.resolved_at = at.timestamp() if at is not None else float("-inf")
        return entry.alert

    def remove_alert(self, alert_id: str) -> bool:
        """Forget an alert entirely (its personal data was erased); False if unknown."""
        if self._alerts.pop(alert_id, None) is None:
            return False
        self._index.remove(alert_id)
        return True

    def candidate_alerts(self, obs: RecordFeatures) -> list[str]:
        """Alerts sharing a blocking key with the observation and admitted by the cheap checks
        (`candidates`); a function of the set of alerts only (never of their arrival order)."""
        # Fitting (an observer) must see the pairs the admission rules refuse: they are what
        # teaches the model what a sex or birth conflict weighs.
        selection = self._index.select(obs, refuse=self.observer is None)
        self.stats.keys_skipped += selection.keys_skipped
        self.stats.vetoed_cheaply += selection.vetoed
        self.stats.refused_cheaply += selection.refused
        return selection.alerts

    def compare_pair(self, alert: RecordFeatures, obs: RecordFeatures) -> Comparison:
        """The comparison levels of a pair, as scoring sees them."""
        return compare(alert, obs, self.frequencies, self.routes)

    def score(self, alert: RecordFeatures, kind: str, obs: RecordFeatures) -> Scored:
        comparison = self.compare_pair(alert, obs)
        bits = total_bits(self.weights, kind, comparison)
        return Scored(comparison, bits, round(probability(bits), 6))

    def contends(self, alert: RecordFeatures, obs: Observation, features: RecordFeatures) -> bool:
        """Whether the alert (as described by `alert`) reaches the threshold for `obs`."""
        if cheap_veto(alert.spacetime, features.spacetime):
            return False
        scored = self.score(alert, obs.kind, features)
        lead = self.weights.lead_bits.get(obs.kind, 0.0)
        if lead <= 0.0:
            return scored.score >= self.thresholds[obs.kind]
        # A runner-up within the lead of a best alert reaching the threshold also decides.
        return scored.bits >= bits_of(self.thresholds[obs.kind]) - lead

    def needs_decision(
        self,
        alert_id: str,
        before: RecordFeatures | None,
        obs: Observation,
        live_alerts: Collection[str],
    ) -> bool:
        """Whether a change of `alert_id` (from `before`, if it existed) can change the
        decision for `obs`: the alert reaches the threshold now or did before, or an alert
        the observation is proposed to left its candidates."""
        features = self.features_of(obs)
        current = self.alert_features(alert_id)
        if (
            current is not None
            and self._index.may_admit(current, features, alert_id)
            and self.contends(current, obs, features)
        ):
            return True
        if (
            before is not None
            and self._index.may_admit(before, features)
            and self.contends(before, obs, features)
        ):
            return True
        if live_alerts:
            candidates = set(self.candidate_alerts(features))
            return any(a not in candidates for a in live_alerts)
        return False

    def _scored(
        self,
        alert_ids: Iterable[str],
        obs: Observation,
        features: RecordFeatures,
        rejected: Collection[str],
    ) -> dict[str, Scored]:
        out: dict[str, Scored] = {}
        at = features.spacetime.at
        for alert_id in alert_ids:
            entry = self._alerts.get(alert_id)
            # Time-vetoed alerts never reach this point (`candidate_alerts`).
            if entry is None or alert_id in rejected or not entry.competes(at):
                continue
            scored = self.score(entry.features, obs.kind, features)
            self.stats.candidates_scored += 1
            if self.observer is not None:
                self.observer(alert_id, obs, scored.comparison)
            out[alert_id] = scored
        return out

    def match_observation(self, kind: str, data: dict[str, Any]) -> Decision:
        """Decide a registration or sighting given as event data (benchmarks, tests)."""
        return self.decide(parse_observation(kind, data))  # type: ignore[arg-type]

    def decide(
        self, obs: Observation, rejected: Collection[str] = (), confirmed: Collection[str] = ()
    ) -> Decision:
        """The alerts that stand out for `obs`: every active alert reaching the threshold whose
        bits are within the margin of the best competitor's (a confirmed pair wins outright);
        `rejected` and `confirmed` are alert ids an investigator reviewed for this pair."""
        features = self.features_of(obs)
        self.stats.observations_matched += 1
        candidates = self.candidate_alerts(features)
        scored = self._scored(candidates, obs, features, rejected)
        threshold = self.thresholds[obs.kind]
        above = {a: s for a, s in scored.items() if s.score >= threshold}
        if any(a in above for a in confirmed):
            kept = [a for a in above if a in confirmed]
        elif above and self._stands_out(scored, obs.kind):
            floor = max(s.bits for s in above.values()) - self.weights.margin_bits[obs.kind]
            kept = [a for a, s in above.items() if s.bits >= floor]
        else:
            kept = []
        kept = [a for a in kept if self.is_active(a)]
        kept.sort(key=lambda a: (-above[a].bits, a))
        winners = [self._proposal(a, obs, above[a], scored) for a in kept]
        return Decision(
            obs.kind,
            obs.obs_id,
            winners,
            {a: s.score for a, s in scored.items()},
            threshold,
            self.engine_version,
            features.spacetime.at,
            features.spacetime.point,
        )

    def _stands_out(self, scored: dict[str, Scored], kind: str) -> bool:
        """Whether the best alert leads the runner-up by the fitted lead: when two alerts score
        alike, the observation says too little to tell them apart and neither is proposed."""
        lead = self.weights.lead_bits.get(kind, 0.0)
        if lead <= 0.0 or len(scored) < 2:
            return True
        best, second = sorted((s.bits for s in scored.values()), reverse=True)[:2]
        return best - second >= lead

    def _proposal(
        self, alert_id: str, obs: Observation, scored: Scored, rivals: dict[str, Scored]
    ) -> Proposal:
        close = sum(
            1
            for a, s in rivals.items()
            if a != alert_id and self.is_active(a) and abs(s.bits - scored.bits) <= RIVAL_BITS
        )
        explanation = explain(self.weights, obs.kind, scored.comparison)
        explanation.append(rivals_entry(close, RIVAL_BITS))
        return Proposal(
            match_id=match_id(alert_id, obs.kind, obs.obs_id),
            alert_id=alert_id,
            observation_type=obs.kind,
            observation_id=obs.obs_id,
            score=scored.score,
            bits=round(scored.bits, 4),
            explanation=explanation,
            engine_version=self.engine_version,
        )
