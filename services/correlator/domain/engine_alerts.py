"""The engine's book of alerts: their features, the alert index, observation features, and a
generation that changes whenever the set of competing alerts changes (no I/O).

`MatchEngine` builds its decisions on this book; everything a decision depends on beyond the
observation itself (which alerts exist, their data, whether they are resolved) changes only
through the methods here, and each change moves `generation` on, so a decision taken at one
generation holds until the next.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.correlator.domain.candidates import AlertIndex
from services.correlator.domain.engine_records import AlertEntry, EngineStats, ObservationCache
from services.correlator.domain.features import (
    RecordFeatures,
    alert_features,
    observation_features,
)
from services.correlator.domain.index import DEFAULT_BUDGET
from services.correlator.domain.model import Alert, Observation, parse_alert, parse_time
from services.correlator.domain.tables import EngineTables

if TYPE_CHECKING:
    from collections.abc import Callable

    from services.correlator.domain.scoring import Comparison

# Observations whose features (and scores, decisions) are kept; beyond, the cache starts over.
OBSERVATION_CACHE = 200_000


class AlertBook:
    """Holds the alerts, their index and the features of the observations met so far."""

    def __init__(self, tables: EngineTables, budget: int = DEFAULT_BUDGET) -> None:
        self._blocker = tables.blocker
        self.stats = EngineStats()
        self._alerts: dict[str, AlertEntry] = {}
        self._index = AlertIndex(self._blocker, budget)
        self._observations: dict[tuple[str, str], ObservationCache] = {}
        self.generation = 0
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

    def cached(self, obs: Observation) -> ObservationCache:
        """What the engine keeps about an observation (an observation never changes)."""
        key = (obs.kind, obs.obs_id)
        cache = self._observations.get(key)
        if cache is None:
            if len(self._observations) >= OBSERVATION_CACHE:
                self._observations.clear()
            cache = self._observations[key] = ObservationCache(observation_features(obs))
        return cache

    def features_of(self, obs: Observation) -> RecordFeatures:
        """The observation's features, computed once."""
        return self.cached(obs).features

    def observation_blocking_keys(self, obs: Observation) -> tuple[str, ...]:
        """Keys to store with an observation; alerts find it with `alert_blocking_keys`."""
        return self._blocker.keys(self.features_of(obs))

    def alert_blocking_keys(self, alert: Alert) -> tuple[str, ...]:
        """Keys to look up stored observations for an alert with (`keys && ...`)."""
        entry = self._alerts.get(alert.alert_id)
        if entry is None or entry.alert is not alert:
            return self._blocker.keys(alert_features(alert), query="alert")
        if entry.query_keys is None:
            entry.query_keys = self._blocker.keys(entry.features, query="alert")
        return entry.query_keys

    def features_blocking_keys(self, features: RecordFeatures) -> tuple[str, ...]:
        """Alert query keys from already computed features (e.g. an alert before an update)."""
        return self._blocker.keys(features, query="alert")

    def _store(self, alert: Alert, resolved_at: float | None = None) -> None:
        features = alert_features(alert)
        self._alerts[alert.alert_id] = AlertEntry(alert, features, resolved_at)
        self._index.add(alert.alert_id, features)
        self.generation += 1

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
        self.generation += 1
        return entry.alert

    def remove_alert(self, alert_id: str) -> bool:
        """Forget an alert entirely (its personal data was erased); False if unknown."""
        if self._alerts.pop(alert_id, None) is None:
            return False
        self._index.remove(alert_id)
        self.generation += 1
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
