"""The correlator's Prometheus metrics: matches proposed by score band and matches withdrawn by
reason, counted from the `match.*` events its outbox relay publishes.

Counting what is published rather than what a use case decides means a transaction that rolls
back (and is retried) is not counted twice, and the count is the one downstream services see.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from services.common.catalog import MATCH_PROPOSED, MATCH_WITHDRAWN
from services.common.envelope import CloudEvent

BAND_EDGES = (0.2, 0.4, 0.6, 0.8)
BANDS = ("0.0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1.0")
WITHDRAWAL_REASONS = (
    "outranked", "below_threshold", "alert_resolved", "conflicting", "erased"
)

MATCHES_PROPOSED = Counter(
    "kinlink_matches_proposed_total",
    "match.proposed revisions published, by score band (lower edge inclusive)",
    ["band"],
)
MATCHES_WITHDRAWN = Counter(
    "kinlink_matches_withdrawn_total", "match.withdrawn revisions published, by reason", ["reason"]
)
for _band in BANDS:  # every band exists from the start, so rate() sees the first proposal
    MATCHES_PROPOSED.labels(_band)
for _reason in WITHDRAWAL_REASONS:
    MATCHES_WITHDRAWN.labels(_reason)


def score_band(score: float) -> str:
    """`0.0-0.2` ... `0.8-1.0`; a score of exactly 1.0 is in the top band."""
    for edge, band in zip(BAND_EDGES, BANDS, strict=False):
        if score < edge:
            return band
    return BANDS[-1]


def count_published(events: Sequence[CloudEvent]) -> None:
    """The outbox relay's hook: count the match events just acknowledged by Kafka."""
    for event in events:
        if event.type == MATCH_PROPOSED:
            MATCHES_PROPOSED.labels(score_band(float(event.data["score"]))).inc()
        elif event.type == MATCH_WITHDRAWN:
            reason = str(event.data.get("reason"))
            MATCHES_WITHDRAWN.labels(reason if reason in WITHDRAWAL_REASONS else "other").inc()
