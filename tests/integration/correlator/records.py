"""Hand-built alerts and observations for the correlator's integration tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from services.common.envelope import CloudEvent, new_event

ALERT_PUBLISHED = "org.kinlink.alert.published.v1"
ALERT_RESOLVED = "org.kinlink.alert.resolved.v1"
ALERT_UPDATED = "org.kinlink.alert.updated.v1"
REGISTRATION = "org.kinlink.registration.recorded.v1"
SIGHTING = "org.kinlink.sighting.reported.v1"
REVIEWED = "org.kinlink.match.reviewed.v1"

LAST_SEEN = datetime.fromisoformat("2025-03-03T18:00:00+01:00")
PALERMO = {"lat": 38.1157, "lon": 13.3615, "place": "Palermo", "country": "ITA"}
VENTIMIGLIA = {"lat": 43.7915, "lon": 7.6083, "place": "Ventimiglia", "country": "ITA"}


def child(given: str, family: str | None, father: str, born: str, **extra: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
        "given_names": given,
        "family_name": family,
        "other_names": [],
        "father_name": father,
        "sex": "male",
        "date_of_birth": born,
        "date_of_birth_kind": "exact",
        "age_range": None,
        "nationalities": ["AFG"],
        "languages": ["prs"],
    }
    person.update(extra)
    return person


def ahmadi() -> dict[str, Any]:
    return child("Mohammed", "Stanikzai", "Ghulam", "2010-06-14")


def alert(alert_id: str, person: dict[str, Any] | None = None) -> CloudEvent:
    data = {
        "alert_id": alert_id,
        "issuing_authority": {"id": "it-ps-palermo", "country": "ITA"},
        "status": "active",
        "category": "missing_protected",
        "child": person or ahmadi(),
        "last_seen": {"at": LAST_SEEN.isoformat(), "location": PALERMO},
    }
    return new_event(
        ALERT_PUBLISHED, "/kinlink/test", alert_id, data, time=LAST_SEEN + timedelta(hours=2)
    )


def registration(
    registration_id: str, person: dict[str, Any] | None = None, days_after: int = 17
) -> CloudEvent:
    at = LAST_SEEN + timedelta(days=days_after)
    data = {
        "registration_id": registration_id,
        "centre": {"id": "it-ventimiglia-roja", "country": "ITA"},
        "registered_at": at.isoformat(),
        "location": VENTIMIGLIA,
        "child": person or child("Muhammad", "Stanikzai", "Ghulam", "2010-06-14"),
        "accompanied": False,
    }
    return new_event(REGISTRATION, "/kinlink/test", registration_id, data, time=at)


def resolved(alert_id: str) -> CloudEvent:
    data = {"alert_id": alert_id, "resolution": "found", "at": "2025-03-10T10:00:00Z"}
    return new_event(ALERT_RESOLVED, "/kinlink/test", alert_id, data)


def updated(alert_id: str, person: dict[str, Any]) -> CloudEvent:
    data = {"alert_id": alert_id, "at": "2025-03-05T10:00:00Z", "changes": {"child": person}}
    return new_event(ALERT_UPDATED, "/kinlink/test", alert_id, data)


def reviewed(match_id: str, alert_id: str, obs_id: str, decision: str) -> CloudEvent:
    data = {
        "match_id": match_id,
        "alert_id": alert_id,
        "observation": {"type": "registration", "id": obs_id},
        "decision": decision,
        "reviewer": {"id": "inv-7", "organisation_id": "europol-inv"},
        "at": "2025-03-25T10:00:00Z",
    }
    return new_event(REVIEWED, "/kinlink/test", match_id, data)


def new_id() -> str:
    return str(uuid.uuid4())
