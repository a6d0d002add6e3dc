"""Migration routes with real coordinates, and journeys of a cohort along them.

A journey is a list of stays (arrival, departure) at successive stops; between stays the
cohort travels at plausible overland or ferry speeds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .profiles import current


@dataclass(frozen=True)
class Stop:
    """A place on a route where children stay and are registered or sighted."""

    place: str
    country: str
    lat: float
    lon: float
    median_stay_days: float
    register_rate: float  # chance a child passing through gets registered by a centre


STOPS: dict[str, Stop] = {
    s.place: s
    for s in (
        Stop("Lampedusa", "ITA", 35.5050, 12.6050, 3, 0.95),
        Stop("Catania", "ITA", 37.5079, 15.0830, 30, 0.8),
        Stop("Palermo", "ITA", 38.1157, 13.3615, 30, 0.8),
        Stop("Rome", "ITA", 41.9028, 12.4964, 14, 0.4),
        Stop("Milan", "ITA", 45.4642, 9.1900, 10, 0.35),
        Stop("Ventimiglia", "ITA", 43.7912, 7.6077, 5, 0.3),
        Stop("Nice", "FRA", 43.7102, 7.2620, 6, 0.35),
        Stop("Paris", "FRA", 48.8566, 2.3522, 25, 0.6),
        Stop("Calais", "FRA", 50.9513, 1.8587, 12, 0.3),
        Stop("Lesvos", "GRC", 39.1045, 26.5550, 20, 0.95),
        Stop("Athens", "GRC", 37.9838, 23.7275, 35, 0.8),
        Stop("Thessaloniki", "GRC", 40.6401, 22.9444, 8, 0.3),
        Stop("Skopje", "MKD", 41.9981, 21.4254, 3, 0.2),
        Stop("Belgrade", "SRB", 44.7866, 20.4489, 15, 0.45),
        Stop("Subotica", "SRB", 46.1000, 19.6658, 7, 0.25),
        Stop("Szeged", "HUN", 46.2530, 20.1414, 3, 0.3),
        Stop("Zagreb", "HRV", 45.8150, 15.9819, 6, 0.4),
        Stop("Vienna", "AUT", 48.2082, 16.3738, 20, 0.6),
        Stop("Munich", "DEU", 48.1351, 11.5820, 40, 0.7),
        Stop("Algeciras", "ESP", 36.1408, -5.4562, 6, 0.9),
        Stop("Madrid", "ESP", 40.4168, -3.7038, 30, 0.7),
        Stop("Bilbao", "ESP", 43.2630, -2.9350, 14, 0.45),
        Stop("Irun", "ESP", 43.3390, -1.7890, 4, 0.3),
        Stop("Bordeaux", "FRA", 44.8378, -0.5792, 8, 0.35),
    )
}

ROUTES: dict[str, tuple[tuple[str, ...], ...]] = {
    "central": (
        ("Lampedusa", "Catania", "Rome", "Milan", "Ventimiglia", "Nice", "Paris", "Calais"),
        ("Lampedusa", "Palermo", "Rome", "Milan", "Ventimiglia", "Nice", "Paris", "Calais"),
        ("Catania", "Rome", "Milan", "Ventimiglia", "Nice", "Paris", "Calais"),
    ),
    "balkans": (
        (
            "Lesvos",
            "Athens",
            "Thessaloniki",
            "Skopje",
            "Belgrade",
            "Subotica",
            "Szeged",
            "Vienna",
            "Munich",
        ),
        ("Athens", "Thessaloniki", "Skopje", "Belgrade", "Zagreb", "Vienna", "Munich"),
        ("Lesvos", "Athens", "Thessaloniki", "Skopje", "Belgrade", "Zagreb", "Vienna", "Munich"),
    ),
    "western": (
        ("Algeciras", "Madrid", "Bilbao", "Irun", "Bordeaux", "Paris"),
        ("Algeciras", "Madrid", "Bilbao", "Irun", "Bordeaux", "Paris", "Calais"),
    ),
}


@dataclass(frozen=True)
class Stay:
    """A cohort's stay at one stop."""

    stop: Stop
    arrival: datetime
    departure: datetime


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine on a 6371 km sphere; precise enough for travel times)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point a few km (uniform in a disc of radius km) from (lat, lon)."""
    r = km * math.sqrt(rng.random())
    theta = rng.uniform(0, 2 * math.pi)
    dlat = r * math.cos(theta) / 111.2
    dlon = r * math.sin(theta) / (111.2 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def travel_time(rng: random.Random, a: Stop, b: Stop) -> timedelta:
    """Door-to-door time between stops: waiting plus road, rail or ferry at 35-75 km/h."""
    km = distance_km(a.lat, a.lon, b.lat, b.lon) * 1.25  # roads and rails are not straight
    speed = rng.uniform(35.0, 75.0)
    wait_hours = rng.uniform(2.0, 30.0)
    return timedelta(hours=km / speed + wait_hours)


def plan_journey(rng: random.Random, route: str, start: datetime) -> list[Stay]:
    """Stays along one path of the route, starting at its entry and stopping somewhere on it."""
    path = rng.choice(ROUTES[route])
    # Most children go far; some settle early (found a place, got stuck, applied for asylum).
    last = len(path) - 1 if rng.random() < 0.55 else rng.randint(1, len(path) - 1)
    stays: list[Stay] = []
    at = start
    factor = current().stay_factor
    for i, name in enumerate(path[: last + 1]):
        stop = STOPS[name]
        if i > 0:
            at += travel_time(rng, STOPS[path[i - 1]], stop)
        days = min(stop.median_stay_days * factor * rng.lognormvariate(0.0, 0.7), 150.0)
        departure = at + timedelta(days=max(days, 0.5))
        stays.append(Stay(stop, at, departure))
        at = departure
    return stays
