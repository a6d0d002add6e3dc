"""What a fit learns from: labelled pairs of fitting scenarios and investigators' reviews.

`build_weights` is the whole, deterministic recipe behind the shipped `weights.json`: the same
scenarios, reviews and counts always give the same file (a test regenerates it). The fitting
scenarios use seeds that are never evaluated (the bench reports seeds 1-5).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from services.correlator.domain.scoring import Weights, default_weights
from services.correlator.domain.tables import EngineTables
from services.correlator.repository import StoredReview
from services.lab.fit import (
    LabelledPair,
    collect_pairs,
    fit_weights,
    learn_routes,
    learned_token_counts,
    unconfirmed_share,
    with_routes,
)
from services.lab.scenario import generate_scenario

# (seed, noise model) of the scenarios the shipped weights are fitted on. Three seeds per noise
# model rather than one: measured on the unfitted fitting-range seeds 1003-1004 / 2003-2004, F1
# rose 0.637 -> 0.649 (routes) and 0.610 -> 0.639 (other); one seed over-fits its own quirks.
FIT_SCENARIOS: tuple[tuple[int, str], ...] = (
    *((seed, "routes") for seed in (1000, 1001, 1002)),
    *((seed, "other") for seed in (2000, 2001, 2002)),
)
# (seed, noise model) of the scenarios the decision rule is chosen on: pairs the weights never
# saw, weighed by the fitted model. Chosen on the training pairs, the rule sits too low (a model
# weighs its own training pairs more confidently than new ones): on the unfitted seeds 1003-1004 /
# 2003-2004, the share threshold for sightings then came out at 0.35 where 0.45 gave both higher
# F1 and higher precision. Used for nothing else (never evaluated, never fitted on).
RULE_SCENARIOS: tuple[tuple[int, str], ...] = (
    *((seed, "routes") for seed in (1010, 1011)),
    *((seed, "other") for seed in (2010, 2011)),
)
FIT_CHILDREN = 600
REVIEW_WEIGHT = 5.0  # a real investigator's decision counts as much as five synthetic pairs


@dataclass(frozen=True)
class FitSpec:
    scenarios: tuple[tuple[int, str], ...] = FIT_SCENARIOS
    children: int = FIT_CHILDREN
    reviews: tuple[StoredReview, ...] = ()
    review_weight: float = REVIEW_WEIGHT
    extra_token_counts: Mapping[str, int] = field(default_factory=dict)
    rule_scenarios: tuple[tuple[int, str], ...] = RULE_SCENARIOS


def review_pairs(reviews: Iterable[StoredReview], weight: float) -> list[LabelledPair]:
    """Reviews as weighted labelled pairs (confirmed: same child)."""
    return [
        LabelledPair(
            review.obs_type,
            f"review-{n}",
            "",
            tuple(sorted(review.levels.items())),
            1 if review.decision == "confirmed" else 0,
            weight,
        )
        for n, review in enumerate(reviews)
        if review.levels and review.obs_type in ("registration", "sighting")
    ]


def build_weights(
    spec: FitSpec, name_words: Counter[str], extra_pairs: Sequence[LabelledPair] = ()
) -> Weights:
    """Weights fitted by the recipe of `spec` (scenarios, reviews, learned token counts)."""
    scenarios = [
        generate_scenario(seed, children=spec.children, noise=noise)
        for seed, noise in spec.scenarios
    ]
    counts: Counter[str] = Counter()
    for scenario in scenarios:
        counts.update(learned_token_counts(scenario.events))
    counts.update(spec.extra_token_counts)
    tables = EngineTables(
        Weights(**{**default_weights().__dict__, "token_counts": dict(counts)}), name_words
    )
    per_scenario: list[list[LabelledPair]] = []
    positives: Counter[str] = Counter()
    for scenario in scenarios:
        truth = scenario.true_pairs()
        per_scenario.append(collect_pairs(scenario.events, truth, tables))
        positives.update(kind for _, kind, _ in truth)
    # Known routes are read against the routes the other scenarios' true pairs taught, so a
    # pair never vouches for its own movement; and with a share of them withheld, so the fit
    # meets true pairs on movements no confirmed match has made yet (`unconfirmed_share`).
    pairs: list[LabelledPair] = []
    for i, own in enumerate(per_scenario):
        others = [p for j, group in enumerate(per_scenario) if j != i for p in group]
        taught = learn_routes(others or own)
        pairs += with_routes(own, unconfirmed_share(taught, str(spec.scenarios[i][0])))
    routes = learn_routes(p for group in per_scenario for p in group)
    pairs += review_pairs(spec.reviews, spec.review_weight)
    pairs += extra_pairs
    meta = {
        "scenarios": [f"{seed}/{noise}" for seed, noise in spec.scenarios],
        "children": spec.children,
        "reviews": len(spec.reviews),
    }
    meta["rule_scenarios"] = [f"{seed}/{noise}" for seed, noise in spec.rule_scenarios]
    rule_pairs: list[LabelledPair] = []
    rule_positives: Counter[str] = Counter()
    for seed, noise in spec.rule_scenarios:
        scenario = generate_scenario(seed, children=spec.children, noise=noise)
        truth = scenario.true_pairs()
        # Read against every learnt route, as the engine reads them once the weights ship.
        rule_pairs += with_routes(collect_pairs(scenario.events, truth, tables), routes)
        rule_positives.update(kind for _, kind, _ in truth)
    rule = (rule_pairs, rule_positives) if spec.rule_scenarios else None
    return fit_weights(pairs, positives, counts, meta, routes, rule)
