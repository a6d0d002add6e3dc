"""Fellegi-Sunter scoring: comparison levels per signal, log2(m/u) weights, calibrated probability.

`compare` turns an (alert, observation) feature pair into a comparison vector; `score` adds the
level weights and the name term-frequency bits and maps the total through a logistic calibration
fitted on a labelled scenario.  Explanations carry level names only, never names or dates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from services.correlator.domain.birth import BIRTH_LEVELS, compare_birth
from services.correlator.domain.demographics import (
    LANGUAGE_LEVELS,
    NATIONALITY_LEVELS,
    SEX_LEVELS,
    compare_languages,
    compare_nationalities,
    compare_sex,
)
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.name_compare import (
    NAME_LEVELS,
    PARENT_LEVELS,
    compare_names,
    compare_parent,
)
from services.correlator.domain.name_frequency import NameFrequencies
from services.correlator.domain.spacetime import SPACETIME_LEVELS, compare_spacetime

SIGNAL_LEVELS: dict[str, tuple[str, ...]] = {
    "name": NAME_LEVELS,
    "father_name": PARENT_LEVELS,
    "mother_name": PARENT_LEVELS,
    "birth": BIRTH_LEVELS,
    "sex": SEX_LEVELS,
    "nationality": NATIONALITY_LEVELS,
    "language": LANGUAGE_LEVELS,
    "place_time": SPACETIME_LEVELS,
}
# Physical impossibility is not learnt: it overrides any name evidence.
FIXED_BITS = {("place_time", "before_last_seen"): -40.0, ("place_time", "impossible"): -20.0}

_DEFAULT_BITS: dict[str, dict[str, float]] = {
    "name": {
        "full": 9.0,
        "full_fuzzy": 7.0,
        "single": 3.0,
        "partial": 1.0,
        "given_conflict": -6.0,
        "none": -10.0,
        "missing": 0.0,
    },
    "father_name": {"agree": 4.0, "close": 2.0, "in_name": 3.0, "disagree": -3.0, "missing": 0.0},
    "mother_name": {"agree": 3.0, "close": 1.5, "in_name": 1.0, "disagree": -2.0, "missing": 0.0},
    "birth": {
        "exact": 6.0,
        "within_year": 3.0,
        "compatible": 1.0,
        "mild_conflict": -2.0,
        "strong_conflict": -7.0,
        "missing": 0.0,
    },
    "sex": {"agree": 0.2, "disagree": -6.0, "missing": 0.0},
    "nationality": {"agree": 0.8, "confusable": 0.0, "disagree": -2.0, "missing": 0.0},
    "language": {"agree": 0.8, "disagree": -1.5, "missing": 0.0},
    "place_time": {
        "same_area": 2.0,
        "easy_reach": 0.5,
        "fast_reach": -1.0,
        "impossible": -20.0,
        "before_last_seen": -40.0,
        "missing": 0.0,
    },
}


@dataclass(frozen=True, slots=True)
class Comparison:
    levels: dict[str, str]
    name_tf_bits: float


@dataclass(frozen=True)
class Weights:
    version: str
    bits: dict[str, dict[str, float]]
    tf_scale: float = 1.0
    calibration_slope: float = 1.0
    calibration_intercept: float = -10.0
    threshold: float = 0.5
    # Proposals per observation keep within this many bits of its best alert.
    margin_bits: float = 99.0
    fitted_on: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "bits": self.bits,
                "tf_scale": self.tf_scale,
                "calibration_slope": self.calibration_slope,
                "calibration_intercept": self.calibration_intercept,
                "threshold": self.threshold,
                "margin_bits": self.margin_bits,
                "fitted_on": self.fitted_on,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Weights:
        raw = json.loads(text)
        return cls(
            str(raw["version"]),
            raw["bits"],
            float(raw["tf_scale"]),
            float(raw["calibration_slope"]),
            float(raw["calibration_intercept"]),
            float(raw["threshold"]),
            float(raw.get("margin_bits", 99.0)),
            dict(raw.get("fitted_on", {})),
        )


def default_weights() -> Weights:
    """Hand-set weights from domain judgement, used before any fitting."""
    return Weights("hand-1", {s: dict(levels) for s, levels in _DEFAULT_BITS.items()})


def compare(alert: RecordFeatures, obs: RecordFeatures, freqs: NameFrequencies) -> Comparison:
    names = compare_names(alert.names, obs.names, freqs)
    a, b = alert.names, obs.names
    levels = {
        "name": names.level,
        "father_name": compare_parent(a.father, b.father, a, b),
        "mother_name": compare_parent(a.mother, b.mother, a, b),
        "birth": compare_birth(alert.birth, obs.birth),
        "sex": compare_sex(alert.sex, obs.sex),
        "nationality": compare_nationalities(alert.nationalities, obs.nationalities),
        "language": compare_languages(alert.languages, obs.languages),
        "place_time": compare_spacetime(alert.spacetime, obs.spacetime),
    }
    return Comparison(levels, names.tf_bits)


def level_bits(weights: Weights, signal: str, level: str) -> float:
    fixed = FIXED_BITS.get((signal, level))
    return fixed if fixed is not None else weights.bits.get(signal, {}).get(level, 0.0)


def total_bits(weights: Weights, comparison: Comparison) -> float:
    total = sum(level_bits(weights, s, lvl) for s, lvl in comparison.levels.items())
    return total + weights.tf_scale * comparison.name_tf_bits


def probability(weights: Weights, bits: float) -> float:
    logit = (weights.calibration_slope * bits + weights.calibration_intercept) * math.log(2)
    logit = max(-60.0, min(60.0, logit))
    return 1.0 / (1.0 + math.exp(-logit))


def explain(weights: Weights, comparison: Comparison) -> list[dict[str, Any]]:
    """Each signal's contribution in log-odds bits, with its comparison level as the detail."""
    out: list[dict[str, Any]] = [
        {"signal": s, "contribution": round(level_bits(weights, s, lvl), 3), "detail": lvl}
        for s, lvl in comparison.levels.items()
    ]
    tf = weights.tf_scale * comparison.name_tf_bits
    rarity = "rare names agree" if tf > 1 else "common names agree" if tf < -1 else "average"
    out.append({"signal": "name_rarity", "contribution": round(tf, 3), "detail": rarity})
    return out
