"""Place and time evidence: could the child last seen there and then be observed here and now?

An observation before the last sighting (beyond a small tolerance) is a veto; a distance that
cannot be covered at plausible overland speeds in the elapsed time is a near-veto; closeness in
space and time is weak positive evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.correlator.domain.geo import distance_km, haversine_km

SPACETIME_LEVELS = (
    "same_area",
    "easy_reach",
    "fast_reach",
    "impossible",
    "before_last_seen",
    "missing",
)
VETO_LEVELS = frozenset({"impossible", "before_last_seen"})
IMPRECISION_KM = 25.0
TOLERANCE_HOURS = 6.0
_SAME_AREA_KM = 60.0
_SAME_AREA_DAYS = 45.0
_EASY_KM_PER_DAY = 300.0
# The great-circle distance is within 0.5 % of the geodesic on the WGS-84 ellipsoid.
_HAVERSINE_ERROR = 0.006


@dataclass(frozen=True, slots=True)
class SpaceTime:
    at: float | None  # POSIX seconds
    point: tuple[float, float] | None


def max_reach_km(hours: float) -> float:
    """Farthest plausible overland travel: ~110 km/h for short hops, ~900 km a day sustained."""
    if hours <= 0:
        return IMPRECISION_KM * 2
    return IMPRECISION_KM * 2 + min(110.0 * hours, 900.0 * hours / 24 + 300.0)


def compare_spacetime(last_seen: SpaceTime, observed: SpaceTime) -> str:
    if last_seen.at is None or observed.at is None:
        return "missing"
    hours = (observed.at - last_seen.at) / 3600.0
    if hours < -TOLERANCE_HOURS:
        return "before_last_seen"
    if last_seen.point is None or observed.point is None:
        return "missing"
    hours = max(hours, 0.0)
    reach = max_reach_km(hours)
    rough = haversine_km(last_seen.point, observed.point)
    if rough > reach * (1 + _HAVERSINE_ERROR):
        return "impossible"
    days = hours / 24.0
    easy_km = IMPRECISION_KM + _EASY_KM_PER_DAY * max(days, 0.25)
    km = rough
    if rough > IMPRECISION_KM and (
        abs(rough - reach) <= reach * _HAVERSINE_ERROR
        or abs(rough - _SAME_AREA_KM) <= _SAME_AREA_KM * _HAVERSINE_ERROR
        or abs(rough - easy_km) <= easy_km * _HAVERSINE_ERROR
    ):
        # The geodesic costs ~0.4 ms: only worth it when it could change the level.
        km = distance_km(last_seen.point, observed.point)
    if km > reach:
        return "impossible"
    if km <= _SAME_AREA_KM and days <= _SAME_AREA_DAYS:
        return "same_area"
    if km <= easy_km:
        return "easy_reach"
    return "fast_reach"
