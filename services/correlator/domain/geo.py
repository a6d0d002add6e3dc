"""The correlator's side of geography: a Location to (lat, lon), the pair geopy expects.

Distances and bearings come from the shared door (services.common.geo).
"""

from __future__ import annotations

from services.common.geo import bearing_degrees, distance_km, haversine_km
from services.correlator.domain.model import Location

__all__ = ["bearing_degrees", "coordinates", "distance_km", "haversine_km", "sector"]


def coordinates(location: Location) -> tuple[float, float]:
    """The single conversion from a Location to the (lat, lon) pair geopy expects."""
    return (location.lat, location.lon)


def sector(bearing: float) -> int:
    """Which of eight 45-degree sectors a bearing falls in: 0 is north (337.5 to 22.5), then
    clockwise."""
    return int(((bearing + 22.5) % 360.0) // 45.0)
