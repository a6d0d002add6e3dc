"""Place and time evidence: could the child last seen there and then be observed here and now?

An observation before the child went missing (beyond a small tolerance) is a veto; a distance
that cannot be covered at plausible overland speeds in the elapsed time is a near-veto. Between
those, the implied travel speed (distance over elapsed days) and the elapsed time itself are
graded evidence: children stay days to months at each stop and cover hundreds of kilometres a
day when they move. An alert whose last-seen report was updated keeps the moment it went
missing (for the veto) and is measured from the latest report made before the observation.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.correlator.domain.geo import distance_km, haversine_km

SPACETIME_LEVELS = (
    "same_place",
    "slow",
    "steady",
    "fast",
    "very_fast",
    "impossible",
    "before_last_seen",
    "missing",
)
ELAPSED_LEVELS = ("days_3", "days_14", "days_60", "days_180", "longer", "missing")
VETO_LEVELS = frozenset({"impossible", "before_last_seen"})
IMPRECISION_KM = 25.0
TOLERANCE_HOURS = 6.0
_SAME_PLACE_KM = 30.0
# Upper bounds of implied speed (km per day) for slow, steady and fast travel.
_SPEED_BOUNDS = ((20.0, "slow"), (100.0, "steady"), (400.0, "fast"))
_ELAPSED_BOUNDS = ((3.0, "days_3"), (14.0, "days_14"), (60.0, "days_60"), (180.0, "days_180"))
# The great-circle distance is within 0.5 % of the geodesic on the WGS-84 ellipsoid.
_HAVERSINE_ERROR = 0.006
ROUTE_CELL_DEGREES = 1.0

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class SpaceTime:
    """When and where a record places the child. Alerts also carry when and where the child
    went missing (`since`, `first_point`) when a later last-seen report replaced them."""

    at: float | None  # POSIX seconds
    point: Point | None
    since: float | None = None
    first_point: Point | None = None

    @property
    def missing_since(self) -> float | None:
        return self.since if self.since is not None else self.at


@dataclass(frozen=True, slots=True)
class SpaceTimeComparison:
    level: str
    elapsed: str
    km: float | None = None
    days: float | None = None
    route: str | None = None  # coarse cell moved from and to ("r:c>r:c")


MISSING = SpaceTimeComparison("missing", "missing")


def max_reach_km(hours: float) -> float:
    """Farthest plausible overland travel: ~110 km/h for short hops, ~900 km a day sustained."""
    if hours <= 0:
        return IMPRECISION_KM * 2
    return IMPRECISION_KM * 2 + min(110.0 * hours, 900.0 * hours / 24 + 300.0)


def _reference(last_seen: SpaceTime, at: float) -> tuple[float, Point | None]:
    """The latest last-seen report made before the observation."""
    if last_seen.at is not None and last_seen.at <= at + TOLERANCE_HOURS * 3600:
        return last_seen.at, last_seen.point
    since = last_seen.missing_since
    assert since is not None
    return since, last_seen.first_point if last_seen.since is not None else last_seen.point


def _cell(point: Point) -> str:
    return f"{int(point[0] // ROUTE_CELL_DEGREES)}:{int(point[1] // ROUTE_CELL_DEGREES)}"


def cell_centre(row: int, column: int) -> Point:
    """The centre of a route's cell, given by its row and column (as in "row:column")."""
    return ((row + 0.5) * ROUTE_CELL_DEGREES, (column + 0.5) * ROUTE_CELL_DEGREES)


def _elapsed_level(days: float) -> str:
    for bound, level in _ELAPSED_BOUNDS:
        if days <= bound:
            return level
    return "longer"


def _km(a: Point, b: Point, reach: float) -> float:
    rough = haversine_km(a, b)
    if rough > IMPRECISION_KM and abs(rough - reach) <= reach * _HAVERSINE_ERROR:
        # The geodesic costs ~0.4 ms: only worth it when it could change the veto.
        return distance_km(a, b)
    return rough


def compare_spacetime(last_seen: SpaceTime, observed: SpaceTime) -> SpaceTimeComparison:
    since = last_seen.missing_since
    if since is None or observed.at is None:
        return MISSING
    if (observed.at - since) / 3600.0 < -TOLERANCE_HOURS:
        return SpaceTimeComparison("before_last_seen", "missing")
    ref_at, ref_point = _reference(last_seen, observed.at)
    hours = max((observed.at - ref_at) / 3600.0, 0.0)
    days = hours / 24.0
    elapsed = _elapsed_level(days)
    if ref_point is None or observed.point is None:
        return SpaceTimeComparison("missing", elapsed, None, days)
    reach = max_reach_km(hours)
    km = _km(ref_point, observed.point, reach)
    route = f"{_cell(ref_point)}>{_cell(observed.point)}"
    if km > reach:
        return SpaceTimeComparison("impossible", elapsed, km, days, route)
    if km <= _SAME_PLACE_KM:
        return SpaceTimeComparison("same_place", elapsed, km, days, route)
    speed = km / max(days, 0.25)
    level = next((name for bound, name in _SPEED_BOUNDS if speed <= bound), "very_fast")
    return SpaceTimeComparison(level, elapsed, km, days, route)


def elapsed_and_cells(
    last_seen: SpaceTime, observed: SpaceTime
) -> tuple[str, tuple[int, int, int, int] | None]:
    """The elapsed level and route cells `spacetime_levels` gives the pair, without measuring
    the distance ("missing" and None also when the pair is vetoed by time)."""
    since = last_seen.missing_since
    at = observed.at
    if since is None or at is None or (at - since) / 3600.0 < -TOLERANCE_HOURS:
        return "missing", None
    ref_at, ref_point = _reference(last_seen, at)
    elapsed = _elapsed_level(max((at - ref_at) / 3600.0, 0.0) / 24.0)
    point = observed.point
    if ref_point is None or point is None:
        return elapsed, None
    return elapsed, (
        int(ref_point[0] // ROUTE_CELL_DEGREES),
        int(ref_point[1] // ROUTE_CELL_DEGREES),
        int(point[0] // ROUTE_CELL_DEGREES),
        int(point[1] // ROUTE_CELL_DEGREES),
    )


def spacetime_levels(
    last_seen: SpaceTime, observed: SpaceTime
) -> tuple[str, str, tuple[int, int, int, int] | None]:
    """`compare_spacetime`'s level and elapsed level, and the coarse cells of its route as
    numbers (from row, from column, to row, to column) rather than text: the hot path of the
    bound, which needs no comparison object and formats a route only to look it up."""
    since = last_seen.missing_since
    at = observed.at
    if since is None or at is None:
        return "missing", "missing", None
    if (at - since) / 3600.0 < -TOLERANCE_HOURS:
        return "before_last_seen", "missing", None
    ref_at, ref_point = _reference(last_seen, at)
    hours = max((at - ref_at) / 3600.0, 0.0)
    days = hours / 24.0
    elapsed = _elapsed_level(days)
    point = observed.point
    if ref_point is None or point is None:
        return "missing", elapsed, None
    reach = max_reach_km(hours)
    km = _km(ref_point, point, reach)
    cells = (
        int(ref_point[0] // ROUTE_CELL_DEGREES),
        int(ref_point[1] // ROUTE_CELL_DEGREES),
        int(point[0] // ROUTE_CELL_DEGREES),
        int(point[1] // ROUTE_CELL_DEGREES),
    )
    if km > reach:
        return "impossible", elapsed, cells
    if km <= _SAME_PLACE_KM:
        return "same_place", elapsed, cells
    speed = km / max(days, 0.25)
    for bound, name in _SPEED_BOUNDS:
        if speed <= bound:
            return name, elapsed, cells
    return "very_fast", elapsed, cells


def elapsed_of(last_seen: SpaceTime, observed: SpaceTime) -> str:
    """The elapsed level `compare_spacetime` gives the pair, without measuring the distance
    ("missing" also when the pair is vetoed by time)."""
    since = last_seen.missing_since
    if since is None or observed.at is None:
        return "missing"
    if (observed.at - since) / 3600.0 < -TOLERANCE_HOURS:
        return "missing"
    ref_at, _ = _reference(last_seen, observed.at)
    return _elapsed_level(max((observed.at - ref_at) / 3600.0, 0.0) / 24.0)


def cheap_veto(last_seen: SpaceTime, observed: SpaceTime) -> bool:
    """True when the pair is impossible by time alone (checked before any name comparison)."""
    since = last_seen.missing_since
    if since is None or observed.at is None:
        return False
    return (observed.at - since) / 3600.0 < -TOLERANCE_HOURS
