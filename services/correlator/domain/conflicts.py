"""One alert, one child: observations that cannot be the same child never both stand for it.

Two observations are incompatible when no child could be at both: the distance between them
cannot be covered overland in the time between them (the same physical bound as the
"impossible" veto between last seen and observed). Two registrations at centres far apart on
the same day, or two sightings hundreds of kilometres apart an hour apart, are two children.
Two observations of one kind whose own comparison weighs strongly against one child are two
children too, however far apart in time (`identity`): the caller marks them `different_child`.

The rule is a pure function of the per-observation decisions, so it cannot depend on the order
events arrived in: an alert that stands out for an observation (the observation's own
decision) keeps it unless the alert also stands out for an incompatible observation that ranks
above it (higher score; ties by observation type and id). Ranking is against those decisions
only, never against what the rule itself held back, so a change of one observation's decision
settles the rule for every observation it conflicts with in one step, and no cascade follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.correlator.domain.geo import haversine_km
from services.correlator.domain.spacetime import Point, max_reach_km

# Farther than any two places on the routes (km): beyond max_reach_km of this many hours, no
# two observations can conflict, so only observations this close in time are looked at.
_FARTHEST_KM = 6000.0
WINDOW_HOURS = next(h for h in range(1, 24 * 30) if max_reach_km(float(h)) >= _FARTHEST_KM)


@dataclass(frozen=True, slots=True)
class Standing:
    """An observation an alert stands out for: its reference, score, time and place."""

    observation_type: str
    observation_id: str
    match_id: str
    score: float
    at: float | None
    point: Point | None
    # Another child than the observation it is weighed against, by their own evidence.
    different_child: bool = False

    @property
    def rank(self) -> tuple[float, str, str]:
        # Sorted ascending, the best comes first: higher score, then the smaller reference.
        return (-self.score, self.observation_type, self.observation_id)


def incompatible(a: Standing, b: Standing) -> bool:
    """True when one child cannot have been observed at both (time and place known)."""
    if a.at is None or b.at is None or a.point is None or b.point is None:
        return False
    hours = abs(a.at - b.at) / 3600.0
    if hours > WINDOW_HOURS:
        return False
    return haversine_km(a.point, b.point) > max_reach_km(hours)


def held_back_by(candidate: Standing, others: Iterable[Standing]) -> Standing | None:
    """The best-ranked other observation the alert stands out for that is incompatible with
    `candidate` and ranks above it; None when the alert keeps `candidate`."""
    best: Standing | None = None
    for other in others:
        if (other.observation_type, other.observation_id) == (
            candidate.observation_type,
            candidate.observation_id,
        ):
            continue
        closer = best is None or other.rank < best.rank
        if (
            closer
            and other.rank < candidate.rank
            and (other.different_child or incompatible(candidate, other))
        ):
            best = other
    return best
