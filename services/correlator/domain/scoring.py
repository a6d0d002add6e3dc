"""Scoring: comparison levels per signal, a jointly fitted logistic model per observation kind.

`compare` turns an (alert, observation) feature pair into a comparison: one level per signal
plus the facts the explanation needs (distance, elapsed days, birth gap). `total_bits` adds the
kind's baseline and the fitted weight of each level (all in bits, log2 odds), so the score
`probability` is 1 / (1 + 2^-total) and every contribution adds up to it. The weights are fitted
jointly by logistic regression (`services.lab.fit`), so correlated signals are not counted
twice, and calibrated by construction. Physical impossibility is not learnt: it overrides all.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from services.correlator.domain.birth import (
    AGE_GAP_LEVELS,
    BIRTH_LEVELS,
    CENTRE_LEVELS,
    centre_gap,
    centre_levels,
    compare_birth,
)
from services.correlator.domain.birthplace import BIRTHPLACE_LEVELS, birthplace_level
from services.correlator.domain.demographics import (
    LANGUAGE_LEVELS,
    NATIONALITY_LEVELS,
    SEX_LEVELS,
    compare_sex,
    language_level,
    nationality_level,
)
from services.correlator.domain.documents import DOCUMENT_LEVELS, document_level
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.height import HEIGHT_LEVELS, height_level
from services.correlator.domain.marks import MARK_LEVELS, marks_level
from services.correlator.domain.movement import (
    HEADING_LEVELS,
    ROUTE_LEVELS,
    heading_level,
    route_level,
)
from services.correlator.domain.name_compare import (
    GIVEN_LEVELS,
    NAME_LEVELS,
    PARENT_LEVELS,
    RARITY_LEVELS,
    compare_given,
    compare_names,
    compare_parent,
)
from services.correlator.domain.name_frequency import NameFrequencies
from services.correlator.domain.spacetime import (
    ELAPSED_LEVELS,
    SPACETIME_LEVELS,
    VETO_LEVELS,
    SpaceTimeComparison,
    compare_spacetime,
)

KINDS = ("registration", "sighting")
# Name agreement and the rarity of the agreeing names form one signal: agreeing on two very
# common names says far less than agreeing on two rare ones, and how much less depends on
# how much agrees (a joint level captures the interaction).
AGREEING_NAME_LEVELS = ("full", "full_fuzzy", "single", "partial")
RARITIES = tuple(r for r in RARITY_LEVELS if r != "none")
NAME_SIGNAL_LEVELS = tuple(
    f"{level}_{rarity}" for level in AGREEING_NAME_LEVELS for rarity in RARITIES
) + tuple(level for level in NAME_LEVELS if level not in AGREEING_NAME_LEVELS)
SIGNAL_LEVELS: dict[str, tuple[str, ...]] = {
    "name": NAME_SIGNAL_LEVELS,
    "given_name": GIVEN_LEVELS,
    "father_name": PARENT_LEVELS,
    "mother_name": PARENT_LEVELS,
    "sibling": ("likely", "no"),
    "birth": BIRTH_LEVELS,
    "birth_centre": CENTRE_LEVELS,
    "age_gap": AGE_GAP_LEVELS,
    "sex": SEX_LEVELS,
    "nationality": NATIONALITY_LEVELS,
    "language": LANGUAGE_LEVELS,
    "place_time": SPACETIME_LEVELS,
    "elapsed": ELAPSED_LEVELS,
    "route": ROUTE_LEVELS,
    "heading": HEADING_LEVELS,
    "document": DOCUMENT_LEVELS,
    "birthplace": BIRTHPLACE_LEVELS,
    "height": HEIGHT_LEVELS,
    "marks": MARK_LEVELS,
}
# The level of each signal that carries no evidence (its weight is 0 by definition).
# Speed and elapsed time together: a slow pace says more after a week than after half a year
# (a child far from where last seen, months later, is any child). The joint level corrects the
# two additive signals where they interact.
TRAVEL_SPEEDS = ("same_place", "slow", "steady", "fast", "very_fast")
TRAVEL_ELAPSED = ("days_3", "days_14", "days_60", "days_180", "longer")
SIGNAL_LEVELS["travel"] = (
    *(f"{speed}_{elapsed}" for speed in TRAVEL_SPEEDS for elapsed in TRAVEL_ELAPSED),
    "missing",
)
REFERENCE_LEVEL = {s: "no" if s == "sibling" else "missing" for s in SIGNAL_LEVELS}
VETO_BITS = {"before_last_seen": -40.0, "impossible": -20.0}


@dataclass(frozen=True, slots=True)
class Comparison:
    levels: dict[str, str]
    facts: dict[str, float] = field(default_factory=dict)
    route: str | None = None  # the cells moved between (for learning known routes)

    @property
    def vetoed(self) -> bool:
        return self.levels.get("place_time") in VETO_LEVELS


@dataclass(frozen=True)
class Weights:
    """A fitted model: per observation kind a baseline and level weights in bits, the proposal
    threshold on the score, the margin (bits) within which rivals of the best alert are
    proposed too and the lead (bits) the best must have over the runner-up to stand out at
    all; plus name-token counts learned from records (see `name_frequency`). A kind with
    `absent_bits` is decided by competition instead (`competition`): the threshold is then on
    an alert's share of the probability, and the margin and lead play no part."""

    version: str
    baseline: dict[str, float]
    bits: dict[str, dict[str, dict[str, float]]]
    threshold: dict[str, float]
    margin_bits: dict[str, float]
    token_counts: dict[str, int] = field(default_factory=dict)
    fitted_on: dict[str, Any] = field(default_factory=dict)
    routes: tuple[str, ...] = ()
    lead_bits: dict[str, float] = field(default_factory=dict)
    absent_bits: dict[str, float] = field(default_factory=dict)

    def level_bits(self, kind: str, signal: str, level: str) -> float:
        return self.bits.get(kind, {}).get(signal, {}).get(level, 0.0)

    def flat(self, kind: str) -> dict[tuple[str, str], float]:
        """(signal, level) -> bits for one kind, built once (the scoring hot path)."""
        cache: dict[str, dict[tuple[str, str], float]] = self.__dict__.setdefault("_flat", {})
        table = cache.get(kind)
        if table is None:
            table = {
                (signal, level): value
                for signal, levels in self.bits.get(kind, {}).items()
                for level, value in levels.items()
            }
            cache[kind] = table
        return table

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "baseline": self.baseline,
                "bits": self.bits,
                "threshold": self.threshold,
                "margin_bits": self.margin_bits,
                "token_counts": self.token_counts,
                "fitted_on": self.fitted_on,
                "routes": list(self.routes),
                "lead_bits": self.lead_bits,
                **({"absent_bits": self.absent_bits} if self.absent_bits else {}),
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Weights:
        raw = json.loads(text)
        return cls(
            str(raw["version"]),
            {k: float(v) for k, v in raw["baseline"].items()},
            raw["bits"],
            {k: float(v) for k, v in raw["threshold"].items()},
            {k: float(v) for k, v in raw["margin_bits"].items()},
            {k: int(v) for k, v in raw.get("token_counts", {}).items()},
            dict(raw.get("fitted_on", {})),
            tuple(raw.get("routes", ())),
            {k: float(v) for k, v in raw.get("lead_bits", {}).items()},
            {k: float(v) for k, v in raw.get("absent_bits", {}).items()},
        )


def default_weights() -> Weights:
    """Neutral weights (every level 0 bits), used before any fitting and to collect features."""
    zero = {
        kind: {s: dict.fromkeys(levels, 0.0) for s, levels in SIGNAL_LEVELS.items()}
        for kind in KINDS
    }
    return Weights(
        "neutral-0",
        dict.fromkeys(KINDS, 0.0),
        zero,
        dict.fromkeys(KINDS, 0.5),
        dict.fromkeys(KINDS, 99.0),
    )


def _sibling(levels: dict[str, str]) -> str:
    """Siblings share family and parents' names but not the given name."""
    parents = levels["father_name"] in ("agree", "close") or levels["mother_name"] in (
        "agree",
        "close",
    )
    differs = levels["name"] == "given_conflict" or levels["name"].startswith("partial")
    return "likely" if parents and differs else "no"


def compare(
    alert: RecordFeatures,
    obs: RecordFeatures,
    freqs: NameFrequencies,
    routes: frozenset[str] = frozenset(),
) -> Comparison:
    spacetime = compare_spacetime(alert.spacetime, obs.spacetime)
    if spacetime.level in VETO_LEVELS:  # decided by place and time: names need not be compared
        return Comparison({"place_time": spacetime.level}, _place_facts(spacetime))
    names = compare_names(alert.names, obs.names, freqs)
    birth = compare_birth(alert.birth, obs.birth)
    a, b = alert.names, obs.names
    name = f"{names.level}_{names.rarity}" if names.level in AGREEING_NAME_LEVELS else names.level
    levels = {
        "name": name,
        "father_name": compare_parent(a.father, b.father, a, b),
        "mother_name": compare_parent(a.mother, b.mother, a, b),
        "birth": birth.level,
        "sex": compare_sex(alert.sex, obs.sex),
        "nationality": nationality_level(alert.demographics, obs.demographics),
        "language": language_level(alert.demographics, obs.demographics),
        "place_time": spacetime.level,
        "elapsed": spacetime.elapsed,
        "route": route_level(spacetime.route, routes),
        "heading": heading_level(spacetime.route),
        "document": document_level(alert.documents, obs.documents),
        "birthplace": birthplace_level(alert.birthplace, obs.birthplace),
        "height": height_level(
            alert.height, obs.height, alert.spacetime.missing_since, obs.spacetime.at
        ),
        "marks": marks_level(alert.marks, obs.marks),
    }
    levels["sibling"] = _sibling(levels)
    levels["travel"] = (
        f"{spacetime.level}_{spacetime.elapsed}"
        if spacetime.level in TRAVEL_SPEEDS and spacetime.elapsed in TRAVEL_ELAPSED
        else "missing"
    )
    levels["given_name"] = compare_given(a, b)
    gap = centre_gap(alert.birth, obs.birth)
    levels["birth_centre"], levels["age_gap"] = centre_levels(gap)
    facts = {"birth_gap_years": round(birth.gap_years, 2), "name_tokens": float(names.agreeing)}
    if gap is not None:
        facts["centre_gap_years"] = round(gap[0], 2)
    facts.update(_place_facts(spacetime))
    return Comparison(levels, facts, spacetime.route)


def _place_facts(spacetime: SpaceTimeComparison) -> dict[str, float]:
    facts: dict[str, float] = {}
    if spacetime.km is not None:
        facts["km"] = round(spacetime.km, 1)
    if spacetime.days is not None:
        facts["days"] = round(spacetime.days, 2)
    return facts


def contributions(weights: Weights, kind: str, comparison: Comparison) -> dict[str, float]:
    """Each signal's contribution in bits (the baseline not included)."""
    if comparison.vetoed:
        level = comparison.levels["place_time"]
        return {"place_time": VETO_BITS[level]}
    table = weights.flat(kind)
    return {s: table.get((s, lvl), 0.0) for s, lvl in comparison.levels.items()}


def total_bits(weights: Weights, kind: str, comparison: Comparison) -> float:
    """Log2 odds that the pair is the same child: the baseline plus every contribution."""
    if comparison.vetoed:
        return weights.baseline.get(kind, 0.0) + VETO_BITS[comparison.levels["place_time"]]
    table = weights.flat(kind)
    return weights.baseline.get(kind, 0.0) + sum(
        table.get(item, 0.0) for item in comparison.levels.items()
    )


def probability(bits: float) -> float:
    return 1.0 / (1.0 + math.pow(2.0, -max(-60.0, min(60.0, bits))))


def bits_of(score: float) -> float:
    """The log2 odds of a score strictly between 0 and 1 (the inverse of `probability`)."""
    score = min(max(score, 1e-12), 1 - 1e-12)
    return math.log2(score / (1 - score))
