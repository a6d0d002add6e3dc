"""Drive a MatchEngine from structured CloudEvents in order, as `kinlink match` does.

The replayer plays the store's part in memory: it keeps the observations with their blocking
keys, what was said about every match (revision, proposed or withdrawn, review) and the
investigators' reviews. Each event re-decides the observations it can affect, exactly as the
streaming correlator does, and yields the resulting actions (propose, withdraw) with the time
of the event that caused them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.common.catalog import (
    ALERT_ERASED,
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    MATCH_PROPOSED,
    MATCH_REVIEWED,
    MATCH_WITHDRAWN,
    REGISTRATION_ERASED,
    SIGHTING_ERASED,
)
from services.correlator.domain.conflicts import WINDOW_HOURS, Standing, incompatible
from services.correlator.domain.decisions import (
    Action,
    Decision,
    MatchState,
    apply_actions,
    reconcile,
    withdraw_erased,
)
from services.correlator.domain.engine import MatchEngine, backfill_since, match_id
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.identity import ChildLinks, Record
from services.correlator.domain.index import InvertedIndex, TimeBucketedIndex
from services.correlator.domain.model import (
    OBSERVATION_EVENT_KINDS,
    Alert,
    Observation,
    parse_observation,
    parse_time,
)

_WINDOW_SECONDS = WINDOW_HOURS * 3600.0
_ERASED_KINDS = {REGISTRATION_ERASED: "registration", SIGHTING_ERASED: "sighting"}


@dataclass(frozen=True, slots=True)
class TimedAction:
    action: Action
    event_time: datetime


class Replayer:
    """Feeds events to the engine; yields actions; counts event types."""

    def __init__(self, engine: MatchEngine) -> None:
        self.engine = engine
        self.counts: Counter[str] = Counter()
        self._observations: dict[str, Observation] = {}
        self._obs_index = InvertedIndex()
        # The same postings by time, for the conflict window: most observations sharing a key
        # were made weeks apart.
        self._near_index = TimeBucketedIndex(_WINDOW_SECONDS)
        # Each stored observation's time and place, as `conflicts.incompatible` reads them.
        self._probes: dict[str, Standing] = {}
        self._states: dict[str, dict[str, MatchState]] = {}
        self._reviews: dict[str, dict[str, str]] = {}
        # Per alert, the observations it stands out for (their latest decisions), as the
        # store's standings table keeps them: where another child of one kind is looked for.
        self._stands: dict[str, dict[str, Standing]] = {}
        self._stood: dict[str, tuple[str, ...]] = {}
        self._links = ChildLinks(engine.weights, engine.frequencies, engine.routes)
        # Alerts and observations whose personal data was erased: the store keeps their ids,
        # so the same record published again is not taken in again.
        self._erased: set[str] = set()

    def final_states(self) -> dict[str, MatchState]:
        """The latest word on every match, by match id."""
        return {m: s for states in self._states.values() for m, s in states.items()}

    def _decision(self, key: str) -> tuple[Decision, frozenset[str]]:
        """The observation's own decision, and the alerts confirmed for it."""
        reviews = self._reviews.get(key, {})
        confirmed = frozenset(a for a, d in reviews.items() if d == "confirmed")
        decision = self.engine.decide(
            self._observations[key],
            rejected={a for a, d in reviews.items() if d == "rejected"},
            confirmed=confirmed,
        )
        return decision, confirmed

    def _conflicting(self, key: str, alert_ids: Iterable[str]) -> list[str]:
        """Stored observations sharing a key with one of the alerts that no child observed as
        `key` was could also have been observed as (see `conflicts`)."""
        probe = self._probes[key]
        if probe.at is None or probe.point is None:
            return []
        keys: set[str] = set()
        for alert_id in alert_ids:
            alert = self.engine.alert(alert_id)
            if alert is not None:
                keys.update(self.engine.alert_blocking_keys(alert))
        # Only observations made within the conflict window can conflict: checked first.
        at, window, probes = probe.at, _WINDOW_SECONDS, self._probes
        found = self._near_index.near(at, keys)
        near = [k for k in found if (t := probes[k].at) is not None and abs(t - at) <= window]
        return sorted(k for k in near if k != key and incompatible(probe, probes[k]))

    def _standing(self, key: str, decision: Decision) -> dict[str, list[Standing]]:
        """Per winning alert, the conflicting observations it stands out for."""
        out: dict[str, list[Standing]] = {}
        for proposal in decision.winners:
            for other in self._conflicting(key, [proposal.alert_id]):
                standing = self._decision(other)[0].standing(proposal.alert_id)
                if standing is not None:
                    out.setdefault(proposal.alert_id, []).append(standing)
            for _, standing in self._other_children(key, proposal.alert_id):
                out.setdefault(proposal.alert_id, []).append(standing)
        return out

    def _record_standing(self, key: str, decision: Decision) -> None:
        """Keep which alerts stand out for the observation now (`_stands`)."""
        for alert_id in self._stood.pop(key, ()):
            self._stands[alert_id].pop(key, None)
        alert_ids = tuple(p.alert_id for p in decision.winners)
        for alert_id in alert_ids:
            standing = decision.standing(alert_id)
            assert standing is not None
            self._stands.setdefault(alert_id, {})[key] = standing
        if alert_ids:
            self._stood[key] = alert_ids

    def _record(self, key: str) -> Record:
        obs = self._observations[key]
        return Record(key, obs.kind, self.engine.features_of(obs))

    def _other_children(self, key: str, alert_id: str) -> list[tuple[str, Standing]]:
        """The observations the alert stands out for that are, by their own evidence, another
        child than `key` (see `identity`), marked so."""
        record = self._record(key)
        return [
            (other, replace(standing, different_child=True))
            for other, standing in sorted(self._stands.get(alert_id, {}).items())
            if other != key and self._links.different(record, self._record(other))
        ]

    def _decide(self, key: str, time: datetime, *, settle: bool = True) -> Iterator[TimedAction]:
        decision, confirmed = self._decision(key)
        self._record_standing(key, decision)
        states = self._states.setdefault(key, {})
        involved = {p.alert_id for p in decision.winners}
        involved.update(s.alert_id for s in states.values() if s.stands_out)
        standing = self._standing(key, decision)
        actions = reconcile(decision, states, self.engine.is_active, standing, confirmed)
        yield from _applied(states, actions, time)
        if settle:
            # The observations this one conflicts with may keep or lose their alert now.
            for other in self._to_settle(key, involved):
                yield from self._decide(other, time, settle=False)

    def _to_settle(self, key: str, alert_ids: set[str]) -> list[str]:
        """The observations `key` conflicts with for any of the alerts (as `standing`)."""
        others = set(self._conflicting(key, sorted(alert_ids)))
        for alert_id in alert_ids:
            others.update(other for other, _ in self._other_children(key, alert_id))
        return sorted(others)

    def _alert_changed(
        self, alert: Alert, before: RecordFeatures | None, time: datetime
    ) -> Iterator[TimedAction]:
        keys = set(self.engine.alert_blocking_keys(alert))
        if before is not None:
            keys.update(self.engine.features_blocking_keys(before))
        since = backfill_since(alert)
        found: set[str] = set()
        for posting in filter(None, map(self._obs_index.postings.get, keys)):
            found.update(posting)
        for key in sorted(found):
            obs = self._observations[key]
            if since is not None and obs.time is not None and obs.time < since:
                continue
            live = [s.alert_id for s in self._states.get(key, {}).values() if s.live]
            if self.engine.needs_decision(alert.alert_id, before, obs, live):
                yield from self._decide(key, time)

    def _reviewed(self, data: dict[str, Any], time: datetime) -> Iterator[TimedAction]:
        obs_ref = data.get("observation")
        decision = data.get("decision")
        if not isinstance(obs_ref, dict) or decision not in ("confirmed", "rejected"):
            return
        alert_id = str(data.get("alert_id"))
        key = f"{obs_ref.get('type')}/{obs_ref.get('id')}"
        self._reviews.setdefault(key, {})[alert_id] = str(decision)
        states = self._states.get(key, {})
        pair = match_id(alert_id, str(obs_ref.get("type")), str(obs_ref.get("id")))
        if pair in states:
            states[pair] = replace(states[pair], review=str(decision))
        if key in self._observations:
            yield from self._decide(key, time)

    def _alert_erased(self, alert_id: str, time: datetime) -> Iterator[TimedAction]:
        """The alert's personal data was erased: it leaves the index, its live proposals are
        withdrawn, and the observations it competed for are decided again without it."""
        alert = self.engine.alert(alert_id)
        before = self.engine.alert_features(alert_id)
        if alert is None or before is None:
            return
        self.engine.remove_alert(alert_id)
        self._erased.add(alert_id)
        stood = self._stands.get(alert_id, {})
        for key in sorted(stood):
            states = self._states.get(key, {})
            obs = self._observations[key]
            actions = withdraw_erased(
                states, obs.kind, obs.obs_id, self.engine.engine_version, alert_id
            )
            yield from _applied(states, actions, time)
        stood.clear()
        yield from self._alert_changed(alert, before, time)

    def _observation_erased(self, key: str, time: datetime) -> Iterator[TimedAction]:
        """The observation's personal data was erased: its live proposals are withdrawn, it
        no longer holds any alert back, and the observations it held back are decided again."""
        obs = self._observations.get(key)
        if obs is None:
            return
        states = self._states.get(key, {})
        involved = set(self._stood.get(key, ()))
        involved.update(s.alert_id for s in states.values() if s.stands_out)
        others = self._to_settle(key, involved)
        # Forgotten as the store forgets it: no keys, no standing, no time and place.
        for alert_id in self._stood.pop(key, ()):
            self._stands[alert_id].pop(key, None)
        obs_keys = self._obs_index.keys_of(key)
        self._near_index.remove(key, self._probes[key].at, obs_keys)
        self._obs_index.remove(key)
        del self._observations[key], self._probes[key]
        self._erased.add(key)
        actions = withdraw_erased(states, obs.kind, obs.obs_id, self.engine.engine_version)
        yield from _applied(states, actions, time)
        for other in others:
            yield from self._decide(other, time)

    def feed(self, event: dict[str, Any]) -> Iterator[TimedAction]:
        kind = event.get("type")
        data = event.get("data")
        time = parse_time(event.get("time"))
        if not isinstance(kind, str) or not isinstance(data, dict) or time is None:
            self.counts["malformed"] += 1
            return
        self.counts[kind] += 1
        if kind == ALERT_PUBLISHED:
            alert_id = str(data.get("alert_id", ""))
            if self.engine.alert(alert_id) is None and alert_id not in self._erased:
                alert = self.engine.apply_alert_published(data, time)
                yield from self._alert_changed(alert, None, time)
        elif kind == ALERT_UPDATED:
            change = self.engine.apply_alert_updated(data)
            if change is not None:
                yield from self._alert_changed(change[1], change[0], time)
        elif kind == ALERT_RESOLVED:
            resolved = self.engine.apply_alert_resolved(data, time)
            if resolved is not None:
                yield from self._alert_changed(resolved, None, time)
        elif kind in OBSERVATION_EVENT_KINDS:
            obs = parse_observation(OBSERVATION_EVENT_KINDS[kind], data)
            key = f"{obs.kind}/{obs.obs_id}"
            if key not in self._observations and key not in self._erased:
                self._observations[key] = obs
                obs_keys = self.engine.observation_blocking_keys(obs)
                self._obs_index.add(key, obs_keys)
                spacetime = self.engine.features_of(obs).spacetime
                self._near_index.add(key, spacetime.at, obs_keys)
                self._probes[key] = Standing(
                    obs.kind, obs.obs_id, "", 0.0, spacetime.at, spacetime.point
                )
                yield from self._decide(key, time)
        elif kind == MATCH_REVIEWED:
            yield from self._reviewed(data, time)
        elif kind == ALERT_ERASED or kind in _ERASED_KINDS:
            if parse_time(data.get("erased_at")) is None:
                self.counts["malformed"] += 1  # the streaming correlator rejects it too
            elif kind == ALERT_ERASED:
                yield from self._alert_erased(str(data.get("alert_id", "")), time)
            else:
                obs_kind = _ERASED_KINDS[kind]
                key = f"{obs_kind}/{data.get(f'{obs_kind}_id')}"
                yield from self._observation_erased(key, time)
        elif kind not in (MATCH_PROPOSED, MATCH_WITHDRAWN):
            self.counts["ignored"] += 1

    def run(self, events: Iterable[dict[str, Any]]) -> Iterator[TimedAction]:
        for event in events:
            yield from self.feed(event)


def _applied(
    states: dict[str, MatchState], actions: list[Action], time: datetime
) -> Iterator[TimedAction]:
    """The actions, once applied to the observation's `states` as the store saves them."""
    apply_actions(states, actions)
    for action in actions:
        yield TimedAction(action, time)
