"""Scoring only the pairs that can matter: an upper bound on a pair's bits, signal by signal.

A pair's score matters to a decision only when its bits reach within `max(lead, rivals' band)`
of the threshold: below that it is neither proposed, nor a runner-up close enough to hold the
best back, nor a rival counted in an explanation, and it cannot trigger a re-decision. Most
candidates (97 % on the bench's scenario) are far below. `PairBound` adds the fitted weights of
the signals compared so far to the largest weight every other signal could still bring, and
stops as soon as that bound falls under the cut: first what costs no name comparison and no
distance (birth, sex, nationality, language, identity documents, places of birth, heights,
distinguishing marks, the time elapsed, and which given and parents' names each record has at
all: a name only one record has cannot agree), then the given and parents' names, then place
and time, then the name itself, the costliest. A pair that survives every stage is scored in
full by `scoring.compare`, so the bits of every pair that can matter are exactly those of full
scoring. Pure functions, no I/O.
"""

from __future__ import annotations

from services.correlator.domain.birth import birth_levels
from services.correlator.domain.birthplace import birthplace_level
from services.correlator.domain.competition import contending_bits, weakest_winner_bits
from services.correlator.domain.demographics import (
    Demographics,
    compare_sex,
    language_level,
    nationality_level,
)
from services.correlator.domain.documents import document_level
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.height import height_level
from services.correlator.domain.marks import marks_level
from services.correlator.domain.movement import Cells, heading_of_cells, route_level_of_cells
from services.correlator.domain.name_compare import (
    compare_given,
    compare_names,
    compare_parent,
    given_agrees,
)
from services.correlator.domain.name_frequency import NameFrequencies
from services.correlator.domain.scoring import (
    AGREEING_NAME_LEVELS,
    SIGNAL_LEVELS,
    TRAVEL_ELAPSED,
    TRAVEL_SPEEDS,
    VETO_BITS,
    Weights,
    bits_of,
)
from services.correlator.domain.spacetime import (
    ELAPSED_LEVELS,
    SPACETIME_LEVELS,
    VETO_LEVELS,
    elapsed_and_cells,
    spacetime_levels,
)

# Kept below the cut by this much: the bound sums in another order than `total_bits`, and a
# score is rounded to six decimals before it meets the threshold.
SAFETY_BITS = 0.01
_NAME_SIGNALS = ("name", "sibling")
_COMPARED_PARENT = ("agree", "close", "disagree")
# Combinations of traits, and movements between cells, whose bits are kept (then start over).
_KEPT = 65_536
# Given-name levels under which a given name agrees with a token of the other record.
_GIVEN_AGREE = frozenset({"exact", "equivalent", "close"})


class _Bits(dict[str, float]):
    """Bits by level of one signal: a level absent from the table weighs 0 bits."""

    def __missing__(self, level: str) -> float:
        return 0.0


def decision_bounds(
    weights: Weights, thresholds: dict[str, float], rival_bits: float
) -> dict[str, PairBound]:
    """Per observation kind, the bound under which a pair neither contends for the observation
    (`competition`; with older weights: reaches the threshold or the runner-up's lead) nor is a
    rival within `rival_bits` of a proposal: its exact score cannot change a decision."""
    return {
        kind: PairBound(weights, kind, deciding_bits(weights, kind, value, rival_bits))
        for kind, value in thresholds.items()
    }


def deciding_bits(weights: Weights, kind: str, threshold: float, rival_bits: float) -> float:
    """The bits under which a pair of `kind` cannot change a decision or its explanation."""
    absent = weights.absent_bits.get(kind)
    if absent is not None:
        return min(contending_bits(absent, threshold), weakest_winner_bits(absent, threshold)
                   - rival_bits)
    return bits_of(threshold) - max(weights.lead_bits.get(kind, 0.0), rival_bits)


class PairBound:
    """Whether a pair's bits, for one observation kind, must fall under `cut`."""

    __slots__ = (
        "_table", "_cut", "_elapsed_max", "_given_max", "_father_max", "_mother_max", "_name_max",
        "_levels", "_travel", "_vetoes_below", "_conflict_max", "_traits", "_movement",
        "_routes",
    )

    def __init__(self, weights: Weights, kind: str, cut: float) -> None:
        self._table = table = weights.flat(kind)
        # The baseline is moved to the cut's side, so each stage compares a plain sum.
        self._cut = cut - weights.baseline.get(kind, 0.0) - SAFETY_BITS
        # Per signal, bits by level.
        self._levels = {
            signal: _Bits({level: table.get((signal, level), 0.0) for level in levels})
            for signal, levels in SIGNAL_LEVELS.items()
        }
        # The travel level's bits by place level and elapsed level (as `scoring.compare`).
        travel = self._levels["travel"]
        self._travel = {
            (level, elapsed): travel[
                f"{level}_{elapsed}"
                if level in TRAVEL_SPEEDS and elapsed in TRAVEL_ELAPSED
                else "missing"
            ]
            for level in SPACETIME_LEVELS
            for elapsed in ELAPSED_LEVELS
        }

        def most(signal: str, levels: tuple[str, ...] | None = None) -> float:
            # No signal brings less than 0 bits at its best (the absent levels weigh 0).
            levels = SIGNAL_LEVELS[signal] if levels is None else levels
            return max(0.0, *(table.get((signal, lvl), 0.0) for lvl in levels))

        self._name_max = sum(most(s) for s in _NAME_SIGNALS)
        # When neither given name agrees with the other record's tokens.
        self._conflict_max = most("name", ("none", "given_conflict")) + most("sibling")
        # The most a given or parent's name can bring, by how many of the two records have it:
        # none (missing), one (in the other's name chain, or missing), both (compared).
        self._given_max = (0.0, 0.0, most("given_name"))
        self._father_max, self._mother_max = (
            (0.0, most(s, ("in_name", "missing")), most(s, _COMPARED_PARENT))
            for s in ("father_name", "mother_name")
        )
        # Once the elapsed level is known: its weight, the most place can bring, and the most of
        # the travel levels that go with it (the route is known by then).
        self._elapsed_max = {
            elapsed: table.get(("elapsed", elapsed), 0.0)
            + most("place_time")
            + most("travel", (*(f"{speed}_{elapsed}" for speed in TRAVEL_SPEEDS), "missing"))
            for elapsed in ELAPSED_LEVELS
        }
        # Bits of the sex, nationality and language levels by the two records' traits, and of
        # the route and direction levels by the cells moved between (for one set of routes).
        self._traits: dict[tuple[int, int, str, str], tuple[Demographics, Demographics, float]]
        self._traits = {}
        self._movement: dict[Cells | None, float] = {}
        self._routes: frozenset[str] | None = None
        # A vetoed pair weighs the baseline plus the veto: below the cut on any sane model.
        self._vetoes_below = all(bits < self._cut for bits in VETO_BITS.values())

    def _traits_bits(self, alert: RecordFeatures, obs: RecordFeatures) -> float:
        """Bits of the sex, nationality and language levels of the pair. Records share a few
        combinations of traits (one `Demographics` object each): kept by identity, the entry
        holding the objects so that their ids cannot be reused while it is kept."""
        ad, od = alert.demographics, obs.demographics
        key = (id(ad), id(od), alert.sex, obs.sex)
        kept = self._traits.get(key)
        if kept is not None and kept[0] is ad and kept[1] is od:
            return kept[2]
        levels = self._levels
        bits = (
            levels["sex"][compare_sex(alert.sex, obs.sex)]
            + levels["nationality"][nationality_level(ad, od)]
            + levels["language"][language_level(ad, od)]
        )
        if len(self._traits) >= _KEPT:
            self._traits.clear()
        self._traits[key] = (ad, od, bits)
        return bits

    def _movement_bits(self, cells: Cells | None, routes: frozenset[str]) -> float:
        """Bits of the route and direction levels of a movement between two cells."""
        if routes is not self._routes:
            self._movement.clear()
            self._routes = routes
        bits = self._movement.get(cells)
        if bits is None:
            levels = self._levels
            bits = (
                levels["route"][route_level_of_cells(cells, routes)]
                + levels["heading"][heading_of_cells(cells)]
            )
            if len(self._movement) >= _KEPT:
                self._movement.clear()
            self._movement[cells] = bits
        return bits

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
        cut, levels = self._cut, self._levels
        # Stage 1: the per-record traits, the time elapsed, the route's cells and which names
        # each record has; no name token and no distance compared. A vetoed pair is "missing"
        # here, and below the cut whatever the bound says.
        a, b = alert.names, obs.names
        elapsed, cells = elapsed_and_cells(alert.spacetime, obs.spacetime)
        birth, centre, age = birth_levels(alert.birth, obs.birth)
        known = (
            levels["birth"][birth]
            + levels["birth_centre"][centre]
            + levels["age_gap"][age]
            + self._traits_bits(alert, obs)
            + self._movement_bits(cells, routes)
        )
        if alert.documents and obs.documents:  # most records carry none
            known += levels["document"][document_level(alert.documents, obs.documents)]
        if alert.birthplace and obs.birthplace:
            known += levels["birthplace"][birthplace_level(alert.birthplace, obs.birthplace)]
        if alert.height is not None and obs.height is not None:
            known += levels["height"][
                height_level(alert.height, obs.height, alert.spacetime.missing_since,
                             obs.spacetime.at)
            ]
        if alert.marks and obs.marks:
            known += levels["marks"][marks_level(alert.marks, obs.marks)]
        rest = self._elapsed_max[elapsed] + self._name_max
        fathers = (a.father is not None) + (b.father is not None)
        mothers = (a.mother is not None) + (b.mother is not None)
        kin = (
            self._given_max[2 if a.core and b.core else 0]
            + self._father_max[fathers]
            + self._mother_max[mothers]
        )
        if known + rest + kin < cut:
            return True
        # Stage 2: the given names, and the parents' names both records have (a parent's name
        # only one record has cannot agree: it stays at its most, from stage 1).
        given = compare_given(a, b)
        known += levels["given_name"][given]
        father = mother = "missing"
        if fathers == 2:
            father = compare_parent(a.father, b.father, a, b)
            known += levels["father_name"][father]
        else:
            known += self._father_max[fathers]
        if mothers == 2:
            mother = compare_parent(a.mother, b.mother, a, b)
            known += levels["mother_name"][mother]
        else:
            known += self._mother_max[mothers]
        if known + rest < cut:
            return True
        # Stage 3: whether a given name agrees at all (most pairs that get here share no name);
        # given names that agree with each other settle it.
        if not a.core or not b.core:
            name_max = levels["name"]["missing"] + levels["sibling"]["no"]
        elif given in _GIVEN_AGREE or given_agrees(a, b):
            name_max = self._name_max
        else:
            name_max = self._conflict_max
        if known + rest - self._name_max + name_max < cut:
            return True
        # Stage 4: place and time.
        level, elapsed, _ = spacetime_levels(alert.spacetime, obs.spacetime)
        if level in VETO_LEVELS:
            return True
        known += (
            levels["place_time"][level] + levels["elapsed"][elapsed] + self._travel[level, elapsed]
        )
        if known + name_max < cut:
            return True
        # Stage 5: the name itself, the costliest.
        names = compare_names(a, b, freqs)
        name = names.level
        if name in AGREEING_NAME_LEVELS:
            name = f"{name}_{names.rarity}"
        # Siblings share family and parents' names but not the given name (`scoring._sibling`).
        parents = father in ("agree", "close") or mother in ("agree", "close")
        differs = name == "given_conflict" or name.startswith("partial")
        sibling = "likely" if parents and differs else "no"
        known += levels["name"][name] + levels["sibling"][sibling]
        return known < cut
