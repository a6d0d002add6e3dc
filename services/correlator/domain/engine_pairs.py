"""The engine's pair scoring: the score of an alert for an observation, kept while the alert's
features stay the same, and not computed in full when its bits are bounded below what can
matter to a decision (`bounds`). No I/O.

`MatchEngine` decides on these scores; the book of alerts underneath (`AlertBook`) says which
alerts compete. A pair's score is a pure function of the alert's current features, the
observation's and the engine's tables, so keeping it changes no decision.
"""

from __future__ import annotations

from services.correlator.domain.bounds import decision_bounds
from services.correlator.domain.engine_alerts import AlertBook
from services.correlator.domain.engine_records import ObservationCache, Scored
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.index import DEFAULT_BUDGET
from services.correlator.domain.scoring import Comparison, compare, probability, total_bits
from services.correlator.domain.tables import EngineTables

RIVAL_BITS = 2.0  # "N other active alerts score within 2 bits of this one"
# Scored pairs kept (about 150 bytes each); beyond, the observation caches start over.
PAIR_CACHE = 500_000


class PairScorer(AlertBook):
    """The book of alerts, with the weights, thresholds and bounds that score its pairs."""

    def __init__(
        self, tables: EngineTables, threshold: float | None = None, budget: int = DEFAULT_BUDGET
    ) -> None:
        super().__init__(tables, budget)
        self.weights = tables.weights
        self.thresholds = {
            kind: threshold if threshold is not None else value
            for kind, value in self.weights.threshold.items()
        }
        self.frequencies = tables.frequencies
        self.routes = tables.routes
        self._pairs_kept = 0
        # Pairs whose exact score cannot change a decision are not scored in full.
        self._bounds = decision_bounds(self.weights, self.thresholds, RIVAL_BITS)

    def compare_pair(self, alert: RecordFeatures, obs: RecordFeatures) -> Comparison:
        """The comparison levels of a pair, as scoring sees them."""
        return compare(alert, obs, self.frequencies, self.routes)

    def score(self, alert: RecordFeatures, kind: str, obs: RecordFeatures) -> Scored:
        comparison = self.compare_pair(alert, obs)
        bits = total_bits(self.weights, kind, comparison)
        return Scored(comparison, bits, round(probability(bits), 6))

    def _pair(
        self, alert_id: str, alert: RecordFeatures, kind: str, cache: ObservationCache
    ) -> tuple[float, float] | None:
        """(bits, score) of the pair, scored once while the alert's features stay the same;
        None when its bits are known to fall below what can matter to a decision."""
        kept = cache.pairs.get(alert_id)
        if kept is not None and kept[0] is alert:
            return kept[1], kept[2]
        if cache.bounded.get(alert_id) is alert:
            return None
        if self._pairs_kept >= PAIR_CACHE:
            self._observations.clear()
            self._pairs_kept = 0
        self._pairs_kept += 1
        # A stale entry for older features of the alert is overwritten or never matches again.
        if self._bounds[kind].below(alert, cache.features, self.frequencies, self.routes):
            self.stats.bounded += 1
            cache.bounded[alert_id] = alert  # no new object per pair: most pairs end here
            return None
        scored = self.score(alert, kind, cache.features)
        cache.pairs[alert_id] = (alert, scored.bits, scored.score)
        return scored.bits, scored.score
