"""The matching engine: candidate generation, scoring and decisions (no I/O).

The streaming correlator and the offline `kinlink match` command drive this same class. A
pair's score is a pure function of the alert's current data, the observation and the engine's
tables. An observation's decision (which alerts stand out for it) depends, beyond that, only on
the set of alerts competing for it: active alerts, and resolved ones for observations made
before their resolution (a child found does not hand its sightings to the runner-up). Ties are
broken by alert id, so the decision never depends on the order events arrived in. Whether an
alert that stands out for an observation keeps it when it also stands out for one that cannot
be the same child is decided after, from these decisions (`conflicts`, `decisions.reconcile`).

Because scores and decisions are pure functions of that state, the engine keeps them: a pair
is scored once while the alert's data stays the same (`engine_pairs`), and an observation
decided again before any alert changed (`AlertBook.generation`) gets the same decision back.
Explanations are built only for the proposals that are actually published. A pair whose bits
are bounded below what can matter to a decision is not scored in full (`bounds`).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Any

from services.correlator.domain.competition import (
    contending_bits,
    shares,
    weakest_winner_bits,
)
from services.correlator.domain.decisions import Decision, Explanation, Proposal
from services.correlator.domain.engine_pairs import RIVAL_BITS, PairScorer
from services.correlator.domain.engine_records import ObservationCache, match_id
from services.correlator.domain.explain import explain, rivals_entry
from services.correlator.domain.features import (
    RecordFeatures,
    alert_features,
    backfill_since,
    observation_features,
)
from services.correlator.domain.index import DEFAULT_BUDGET
from services.correlator.domain.model import Observation, parse_observation
from services.correlator.domain.scoring import bits_of, probability
from services.correlator.domain.spacetime import cheap_veto
from services.correlator.domain.tables import EngineTables

ENGINE_NAME = "kinlink-correlator/3"

__all__ = [
    "ENGINE_NAME",
    "RIVAL_BITS",
    "MatchEngine",
    "Proposal",
    "alert_features",
    "backfill_since",
    "match_id",
    "observation_features",
]

_NO_REVIEWS: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


class MatchEngine(PairScorer):
    """Holds the alerts and decides which of them stand out for an observation."""

    def __init__(
        self, tables: EngineTables, threshold: float | None = None, budget: int = DEFAULT_BUDGET
    ) -> None:
        super().__init__(tables, threshold, budget)
        self.engine_version = f"{ENGINE_NAME}+weights/{self.weights.version}"

    def contends(self, alert: RecordFeatures, obs: Observation, features: RecordFeatures) -> bool:
        """Whether the alert (as described by `alert`) can play a part in the decision for
        `obs`: it contends (`competition`), or reaches what a runner-up needs."""
        return self._contends("", alert, obs, features)

    def _contends(
        self, alert_id: str, alert: RecordFeatures, obs: Observation, features: RecordFeatures
    ) -> bool:
        if cheap_veto(alert.spacetime, features.spacetime):
            return False
        if alert_id:
            pair = self._pair(alert_id, alert, obs.kind, self.cached(obs))
            if pair is None:
                return False
            bits, score = pair
        else:
            # Bounded below the cut, it is below what a runner-up needs as well.
            if self._bounds[obs.kind].below(alert, features, self.frequencies, self.routes):
                return False
            scored = self.score(alert, obs.kind, features)
            bits, score = scored.bits, scored.score
        absent = self.weights.absent_bits.get(obs.kind)
        if absent is not None:
            return bits >= contending_bits(absent, self.thresholds[obs.kind])
        lead = self.weights.lead_bits.get(obs.kind, 0.0)
        if lead <= 0.0:
            return score >= self.thresholds[obs.kind]
        # A runner-up within the lead of a best alert reaching the threshold also decides.
        return bits >= bits_of(self.thresholds[obs.kind]) - lead

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
            and self._contends(alert_id, current, obs, features)
        ):
            return True
        if (
            before is not None
            and self._index.may_admit(before, features)
            and self._contends("", before, obs, features)
        ):
            return True
        if live_alerts:
            candidates = set(self.candidate_alerts(features))
            return any(a not in candidates for a in live_alerts)
        return False

    def _scored(
        self, alert_ids: list[str], obs: Observation, cache: ObservationCache,
        rejected: Collection[str],
    ) -> dict[str, tuple[float, float]]:
        """(bits, score) per competing candidate whose score can matter (see `bounds`)."""
        out: dict[str, tuple[float, float]] = {}
        competing = 0
        at = cache.features.spacetime.at
        alerts = self._alerts
        observer = self.observer
        for alert_id in alert_ids:
            entry = alerts.get(alert_id)
            # Time-vetoed alerts never reach this point (`candidate_alerts`).
            if entry is None or alert_id in rejected or not entry.competes(at):
                continue
            competing += 1
            if observer is None:
                pair = self._pair(alert_id, entry.features, obs.kind, cache)
                if pair is not None:
                    out[alert_id] = pair
            else:
                scored = self.score(entry.features, obs.kind, cache.features)
                observer(alert_id, obs, scored.comparison)
                out[alert_id] = (scored.bits, scored.score)
        # Counted whether or not the bound spared the full score: the figure stays comparable.
        self.stats.candidates_scored += competing
        cache.competing = competing
        return out

    def match_observation(self, kind: str, data: dict[str, Any]) -> Decision:
        """Decide a registration or sighting given as event data (benchmarks, tests)."""
        return self.decide(parse_observation(kind, data))  # type: ignore[arg-type]

    def decide(
        self, obs: Observation, rejected: Collection[str] = (), confirmed: Collection[str] = ()
    ) -> Decision:
        """The alerts that stand out for `obs`: every active alert whose share of the
        probability, against its competitors and "no alert here", reaches the threshold
        (`competition`; weights fitted before it: the threshold on the pair's score, the margin
        and the lead). A confirmed pair wins outright; `rejected` and `confirmed` are alert ids
        an investigator reviewed for this pair."""
        cache = self.cached(obs)
        self.stats.observations_matched += 1
        reviews = (
            (frozenset(rejected), frozenset(confirmed)) if rejected or confirmed else _NO_REVIEWS
        )
        decision = cache.decision
        if (
            decision is not None
            and cache.generation == self.generation
            and cache.reviews == reviews
            and self.observer is None
        ):
            self.stats.candidates_scored += cache.competing
            return decision
        decision = self._decide(obs, cache, reviews[0], reviews[1])
        if self.observer is None:
            cache.decision, cache.generation, cache.reviews = decision, self.generation, reviews
        return decision

    def _decide(
        self, obs: Observation, cache: ObservationCache, rejected: Collection[str],
        confirmed: Collection[str],
    ) -> Decision:
        candidates = self.candidate_alerts(cache.features)
        scored = self._scored(candidates, obs, cache, rejected)
        kind = obs.kind
        threshold = self.thresholds[kind]
        absent = self.weights.absent_bits.get(kind)
        share: dict[str, float] = {}
        if absent is not None:
            share = shares({a: s[0] for a, s in scored.items()}, absent, threshold)
            kept = self._confirmed(scored, confirmed, weakest_winner_bits(absent, threshold))
            kept = kept or [a for a, p in share.items() if p >= threshold]
        else:
            kept = self._by_lead(scored, kind, threshold, confirmed)
        kept = [a for a in kept if self.is_active(a)]
        kept.sort(key=lambda a: (-scored[a][0], a))
        spacetime = cache.features.spacetime
        return Decision(
            kind,
            obs.obs_id,
            [
                self._proposal(a, obs, cache.features, scored[a], scored, share.get(a))
                for a in kept
            ],
            {a: s[1] for a, s in scored.items()},
            threshold if absent is None else probability(weakest_winner_bits(absent, threshold)),
            self.engine_version,
            spacetime.at,
            spacetime.point,
        )

    @staticmethod
    def _confirmed(
        scored: dict[str, tuple[float, float]], confirmed: Collection[str], alone: float
    ) -> list[str]:
        """Confirmed alerts win outright while they reach what standing out asks of one alone."""
        return [a for a in confirmed if a in scored and scored[a][0] >= alone]

    def _by_lead(
        self, scored: dict[str, tuple[float, float]], kind: str, threshold: float,
        confirmed: Collection[str],
    ) -> list[str]:
        """The rule of weights fitted before the competition rule: a threshold on each pair's
        score, the lead the best needs over the runner-up, the margin for rivals."""
        above = {a: s for a, s in scored.items() if s[1] >= threshold}
        kept = [a for a in above if a in confirmed]
        if kept:
            return kept
        if above and self._stands_out(scored, kind):
            floor = max(s[0] for s in above.values()) - self.weights.margin_bits[kind]
            return [a for a, s in above.items() if s[0] >= floor]
        return []

    def _stands_out(self, scored: dict[str, tuple[float, float]], kind: str) -> bool:
        """Whether the best alert leads the runner-up by the fitted lead: when two alerts score
        alike, the observation says too little to tell them apart and neither is proposed."""
        lead = self.weights.lead_bits.get(kind, 0.0)
        if lead <= 0.0 or len(scored) < 2:
            return True
        best, second = sorted((s[0] for s in scored.values()), reverse=True)[:2]
        return best - second >= lead

    def _proposal(
        self,
        alert_id: str,
        obs: Observation,
        features: RecordFeatures,
        scored: tuple[float, float],
        rivals: dict[str, tuple[float, float]],
        share: float | None,
    ) -> Proposal:
        bits = scored[0]
        close = sum(
            1
            for a, s in rivals.items()
            if a != alert_id and abs(s[0] - bits) <= RIVAL_BITS and self.is_active(a)
        )
        alert = self._alerts[alert_id].features
        return Proposal(
            match_id=match_id(alert_id, obs.kind, obs.obs_id),
            alert_id=alert_id,
            observation_type=obs.kind,
            observation_id=obs.obs_id,
            score=scored[1],
            bits=round(bits, 4),
            explanation=partial(self._explanation, alert, obs.kind, features, close, share),
            engine_version=self.engine_version,
        )

    def _explanation(
        self, alert: RecordFeatures, kind: str, obs: RecordFeatures, close: int,
        share: float | None,
    ) -> Explanation:
        """The explanation of a proposal (built when it is published, from the same records)."""
        explanation = explain(self.weights, kind, self.compare_pair(alert, obs))
        explanation.append(rivals_entry(close, RIVAL_BITS, share))
        return explanation
