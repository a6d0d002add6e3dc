"""Scoring only the pairs that can matter: an upper bound on a pair's bits, signal by signal.

A pair's score matters to a decision only when its bits reach within `max(lead, rivals' band)`
of the threshold: below that it is neither proposed, nor a runner-up close enough to hold the
best back, nor a rival counted in an explanation, and it cannot trigger a re-decision. Most
candidates (97 % on the bench's scenario) are far below. `PairBound` adds the fitted weights of
the signals compared so far to the largest weight every other signal could still bring, and
stops as soon as that bound falls under the cut: the cheap signals first (birth, sex,
nationality, language, parents' and given names), then the time elapsed (no distance yet),
then place and time, then the name itself, the costliest. A pair that survives every stage is
scored in full by `scoring.compare`, so the bits of every pair that can matter are exactly those
of full scoring. Pure functions, no I/O.
"""

from __future__ import annotations

from services.correlator.domain.birth import centre_gap, centre_levels, compare_birth
from services.correlator.domain.demographics import (
    compare_sex,
    language_level,
    nationality_level,
)
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.name_compare import compare_given, compare_names, compare_parent
from services.correlator.domain.name_frequency import NameFrequencies
from services.correlator.domain.scoring import (
    AGREEING_NAME_LEVELS,
    SIGNAL_LEVELS,
    TRAVEL_ELAPSED,
    TRAVEL_SPEEDS,
    VETO_BITS,
    Weights,
    bits_of,
    heading_level,
    route_level,
)
from services.correlator.domain.spacetime import (
    ELAPSED_LEVELS,
    VETO_LEVELS,
    compare_spacetime,
    elapsed_of,
)

# Kept below the cut by this much: the bound sums in another order than `total_bits`, and a
# score is rounded to six decimals before it meets the threshold.
SAFETY_BITS = 0.01
_PLACE_SIGNALS = ("place_time", "elapsed", "route", "heading", "travel")
_NAME_SIGNALS = ("name", "sibling")


def decision_bounds(
    weights: Weights, thresholds: dict[str, float], rival_bits: float
) -> dict[str, PairBound]:
    """Per observation kind, the bound under which a pair is neither proposed (threshold), nor
    a runner-up within the lead of a best alert reaching the threshold, nor a rival within
    `rival_bits` of a proposal: its exact score cannot change a decision."""
    return {
        kind: PairBound(
            weights, kind, bits_of(value) - max(weights.lead_bits.get(kind, 0.0), rival_bits)
        )
        for kind, value in thresholds.items()
    }


class PairBound:
    """Whether a pair's bits, for one observation kind, must fall under `cut`."""

    __slots__ = ("_table", "_cut", "_place_max", "_elapsed_max", "_name_max", "_vetoes_below")

    def __init__(self, weights: Weights, kind: str, cut: float) -> None:
        self._table = weights.flat(kind)
        # The baseline is moved to the cut's side, so each stage compares a plain sum.
        self._cut = cut - weights.baseline.get(kind, 0.0) - SAFETY_BITS

        def most(signal: str, levels: tuple[str, ...] | None = None) -> float:
            # A level absent from the table weighs 0 bits, so no signal brings less than 0.
            levels = SIGNAL_LEVELS[signal] if levels is None else levels
            return max(0.0, *(self._table.get((signal, lvl), 0.0) for lvl in levels))

        self._place_max = sum(most(s) for s in _PLACE_SIGNALS)
        self._name_max = sum(most(s) for s in _NAME_SIGNALS)
        # Once the elapsed level is known: its weight, the most place and route can bring, and
        # the most of the travel levels that go with it.
        self._elapsed_max = {
            elapsed: self._table.get(("elapsed", elapsed), 0.0)
            + most("place_time")
            + most("route")
            + most("heading")
            + most("travel", (*(f"{speed}_{elapsed}" for speed in TRAVEL_SPEEDS), "missing"))
            for elapsed in ELAPSED_LEVELS
        }
        # A vetoed pair weighs the baseline plus the veto: below the cut on any sane model.
        self._vetoes_below = all(bits < self._cut for bits in VETO_BITS.values())

    def below(
        self,
        alert: RecordFeatures,
        obs: RecordFeatures,
        freqs: NameFrequencies,
        routes: frozenset[str],
    ) -> bool:
        """True only when the pair's bits (as `total_bits` of `compare`) are under the cut."""
        if not self._vetoes_below:
            return False
        table = self._table
        a, b = alert.names, obs.names
        ad, od = alert.demographics, obs.demographics
        birth = compare_birth(alert.birth, obs.birth).level
        centre, age = centre_levels(centre_gap(alert.birth, obs.birth))
        father = compare_parent(a.father, b.father, a, b)
        mother = compare_parent(a.mother, b.mother, a, b)
        known = (
            table.get(("birth", birth), 0.0)
            + table.get(("birth_centre", centre), 0.0)
            + table.get(("age_gap", age), 0.0)
            + table.get(("sex", compare_sex(alert.sex, obs.sex)), 0.0)
            + table.get(("nationality", nationality_level(ad, od)), 0.0)
            + table.get(("language", language_level(ad, od)), 0.0)
            + table.get(("father_name", father), 0.0)
            + table.get(("mother_name", mother), 0.0)
            + table.get(("given_name", compare_given(a, b)), 0.0)
        )
        if known + self._place_max + self._name_max < self._cut:
            return True
        # A vetoed pair is "missing" here, and below the cut whatever the bound says.
        elapsed = elapsed_of(alert.spacetime, obs.spacetime)
        if known + self._elapsed_max[elapsed] + self._name_max < self._cut:
            return True
        spacetime = compare_spacetime(alert.spacetime, obs.spacetime)
        level = spacetime.level
        if level in VETO_LEVELS:
            return self._vetoes_below
        travel = (
            f"{level}_{spacetime.elapsed}"
            if level in TRAVEL_SPEEDS and spacetime.elapsed in TRAVEL_ELAPSED
            else "missing"
        )
        known += (
            table.get(("place_time", level), 0.0)
            + table.get(("elapsed", spacetime.elapsed), 0.0)
            + table.get(("route", route_level(spacetime.route, routes)), 0.0)
            + table.get(("heading", heading_level(spacetime.route)), 0.0)
            + table.get(("travel", travel), 0.0)
        )
        if known + self._name_max < self._cut:
            return True
        names = compare_names(a, b, freqs)
        name = names.level
        if name in AGREEING_NAME_LEVELS:
            name = f"{name}_{names.rarity}"
        # Siblings share family and parents' names but not the given name (`scoring._sibling`).
        parents = father in ("agree", "close") or mother in ("agree", "close")
        differs = name == "given_conflict" or name.startswith("partial")
        sibling = "likely" if parents and differs else "no"
        known += table.get(("name", name), 0.0) + table.get(("sibling", sibling), 0.0)
        return known < self._cut
