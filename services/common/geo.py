"""Geography's one door for every service: distances between (lat, lon) pairs with geopy.

No geocoding happens anywhere: events carry coordinates, and places without them are unknown.
"""

from __future__ import annotations

import math

from geopy.distance import geodesic

_EARTH_RADIUS_KM = 6371.0088
LatLon = tuple[float, float]


def haversine_km(a: LatLon, b: LatLon) -> float:
    """Great-circle distance: within 0.5 % of the geodesic, cheap enough for pre-filtering."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bearing_degrees(a: LatLon, b: LatLon) -> float:
    """Initial great-circle bearing from `a` to `b`: 0 is north, 90 east (0 <= x < 360)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(y, x)) % 360.0


def distance_km(a: LatLon, b: LatLon) -> float:
    """Geodesic distance on the WGS-84 ellipsoid."""
    return float(geodesic(a, b).km)
