"""Which scored pairs the engine's decision rule would propose at each threshold (no I/O).

With the competition rule (`competition`) an alert is proposed for an observation when its
share of the probability, against the other contending alerts and "no alert here" (the kind's
fitted `absent_bits`), reaches the threshold. The bench's precision/recall curve counts, at each
threshold t, the pairs that would be proposed if every kind's threshold were t. The alerts
compete again at each t rather than once at the fitted threshold, because which alerts contend
depends on the threshold too (`contending_bits`).

Only the rule is swept: the one-child rule's withdrawals, investigators' reviews and the
dropping of alerts no longer active are left out: at the fitted thresholds, on held-out seed 1
("routes", 300 children), the rule proposed the engine's 302 final proposals and 39 more
that the engine held back (20 true, 19 false). Kinds whose weights have no `absent_bits`
(fitted before the competition rule) are swept on each pair's own score, the threshold they
were decided on then (their lead over the runner-up is left out as well). `curve_text` words
the report's caption for whichever the curve is on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

from services.correlator.domain.competition import standing_out
from services.correlator.domain.scoring import probability

Pair = tuple[str, str, str]  # (alert id, observation kind, observation id)

SHARE = "share"
SCORE = "score"


def threshold_on(kinds: Iterable[str], absent_bits: Mapping[str, float]) -> str:
    """What the curve's threshold applies to: "share", "score", or per kind when weights mix
    the two rules."""
    rules = {kind: SHARE if kind in absent_bits else SCORE for kind in sorted(kinds)}
    if len(set(rules.values())) == 1:
        return next(iter(rules.values()))
    return ", ".join(f"{rule} ({kind})" for kind, rule in rules.items())


def proposed_counts(
    bits: Mapping[Pair, float],
    true: Collection[Pair],
    absent_bits: Mapping[str, float],
    thresholds: Sequence[float],
) -> dict[str, list[int]]:
    """The pairs of `bits` proposed at each of `thresholds`, counted apart for true pairs and
    false ones. An observation's competitors are the alerts it has a pair with in `bits`."""
    by_obs: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for (alert, kind, obs), b in bits.items():
        by_obs[(kind, obs)][alert] = b
    counts = {"true": [0] * len(thresholds), "false": [0] * len(thresholds)}
    for (kind, obs), alerts in by_obs.items():
        absent = absent_bits.get(kind)
        for i, t in enumerate(thresholds):
            if absent is None:
                chosen = [a for a, b in alerts.items() if probability(b) >= t]
            else:
                chosen = standing_out(alerts, absent, t)
            for alert in chosen:
                counts["true" if (alert, kind, obs) in true else "false"][i] += 1
    return counts


THRESHOLDS_ON = {
    SHARE: "on an alert's share of the probability among its competitors",
    SCORE: "on each pair's score (weights fitted before the competition rule)",
}


def curve_text(on: str | None) -> str:
    """What the precision/recall chart's threshold is on (results without `threshold_on`
    predate the share curve: theirs was on pair scores)."""
    if on == SHARE:
        what = (
            "at threshold t, the pairs the engine would propose if every kind's threshold were "
            "t: each alert whose share of the probability for its observation, against its "
            "competitors and \"no alert here\", reaches t (the one-child rule's withdrawals "
            "are left out)"
        )
    elif on is None or on == SCORE:
        what = "on each scored candidate pair's own score, before the decision rules"
        if on == SCORE:
            what += " (these weights have no `absent_bits`: they predate the competition rule)"
    else:  # weights whose kinds are decided by different rules
        what = f"on {on}, before the one-child rule's withdrawals"
    return (
        f"Precision and recall over the threshold (`precision_recall_threshold.png`): {what}. "
        "Recall counts every true pair, scored or not."
    )
