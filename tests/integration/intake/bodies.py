"""Valid request bodies for each door (fictional children), built fresh for every use."""

from __future__ import annotations

from typing import Any


def child(**overrides: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
        "given_names": "Samir",
        "family_name": "Haidari",
        "other_names": [],
        "sex": "male",
        "date_of_birth": "2012",
        "date_of_birth_kind": "estimated",
        "age_range": {"min": 12, "max": 14},
        "nationalities": ["AFG"],
        "languages": ["prs"],
    }
    return {**person, **overrides}


def location(**overrides: Any) -> dict[str, Any]:
    return {"lat": 43.79, "lon": 7.61, "place": "Ventimiglia", "country": "ITA", **overrides}


def alert(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "missing_protected",
        "case_type": "unaccompanied_migrant",
        "risk_level": "high",
        "child": child(),
        "last_seen": {"at": "2025-04-12T18:30:00Z", "location": location()},
        "circumstances": "Left the reception facility in the evening.",
    }
    return {**body, **overrides}


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "registered_at": "2025-04-20T10:00:00Z",
        "location": location(place="Roja transit camp"),
        "child": child(given_names="Samier", family_name="Haydari"),
        "accompanied": False,
    }
    return {**body, **overrides}


def sighting(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "observed_at": "2025-04-21T07:45:00Z",
        "location": location(lat=48.88, lon=2.36, place="Paris Gare du Nord", country="FRA"),
        "child": {"given_names": "Samir", "sex": "male", "age_range": {"min": 12, "max": 15}},
        "confidence": "medium",
    }
    return {**body, **overrides}
