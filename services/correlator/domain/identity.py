"""Two observations that, by their own evidence, are two different children (no I/O).

An alert stands for one child. Two registrations it stands out for may both be that child (one
in Zagreb, another in Vienna a week later) or two namesakes: "Mohammad Ahmadi" is registered
many times a month. Their own comparison tells them apart: the earlier record plays the alert's
part (the child as described there, last seen there and then) and the later one is weighed
against it with the engine's weights for its kind, exactly as any alert and observation are.
When that comparison weighs `DIFFERENT_CHILD_BITS` or more against one child (odds of 16 to 1),
the two are different children, and the alert keeps only the better-ranked of the two
(`conflicts.held_back_by`).

Only records of the same kind are weighed this way: two registrations are interviews taken with
the same care, two sightings what a passer-by saw, while a sighting's few words against a
registration's full record say little about being another child. Chosen on the fitting-range
seeds that the fit does not use (1003-1004, 2003-2004), never on the bench's held-out seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.name_frequency import NameFrequencies
from services.correlator.domain.scoring import Weights, compare, total_bits

DIFFERENT_CHILD_BITS = -4.0
# Links kept (a pair of references and a float each); beyond, the memory starts over.
_KEPT = 200_000


@dataclass(frozen=True, slots=True)
class Record:
    """One observation as the link reads it: its reference, kind and features."""

    ref: str  # "registration/<id>": orders the pair and names it in the memory
    kind: str
    features: RecordFeatures


def link_bits(
    weights: Weights,
    frequencies: NameFrequencies,
    routes: frozenset[str],
    first: Record,
    second: Record,
) -> float:
    """Bits for one child behind two records: the earlier plays the alert (ties by reference),
    the later is weighed as its kind."""
    a, b = sorted((first, second), key=_order)
    return total_bits(weights, b.kind, compare(a.features, b.features, frequencies, routes))


def _order(record: Record) -> tuple[float, str]:
    at = record.features.spacetime.at
    return (at if at is not None else float("inf"), record.ref)


class ChildLinks:
    """Whether two records are different children, each pair weighed once (a pair's link is a
    pure function of the two records and the engine's tables)."""

    def __init__(
        self, weights: Weights, frequencies: NameFrequencies, routes: frozenset[str]
    ) -> None:
        self._weights = weights
        self._frequencies = frequencies
        self._routes = routes
        self._bits: dict[tuple[str, str], float] = {}

    def different(self, first: Record, second: Record) -> bool:
        if first.kind != second.kind or first.ref == second.ref:
            return False
        pair = (first.ref, second.ref) if first.ref < second.ref else (second.ref, first.ref)
        bits = self._bits.get(pair)
        if bits is None:
            if len(self._bits) >= _KEPT:
                self._bits.clear()
            bits = link_bits(self._weights, self._frequencies, self._routes, first, second)
            self._bits[pair] = bits
        return bits <= DIFFERENT_CHILD_BITS
