"""The correlator's side of geography: a Location to (lat, lon), the pair geopy expects.

Distances come from the shared door (services.common.geo).
"""

from __future__ import annotations

from services.common.geo import distance_km, haversine_km
from services.correlator.domain.model import Location

__all__ = ["coordinates", "distance_km", "haversine_km"]


def coordinates(location: Location) -> tuple[float, float]:
    """The single conversion from a Location to the (lat, lon) pair geopy expects."""
    return (location.lat, location.lon)
