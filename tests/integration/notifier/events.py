"""Events the notifier consumes, built by hand: an alert, its observations, proposals."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from services.common.catalog import (
    ALERT_PUBLISHED,
    MATCH_PROPOSED,
    MATCH_WITHDRAWN,
    REGISTRATION_RECORDED,
    SIGHTING_REPORTED,
)
from services.common.envelope import CloudEvent, new_event

AUTHORITY = "it-ps-imperia"  # the police token of tests.integration.intake.conftest
LAST_SEEN = datetime.fromisoformat("2025-04-12T18:30:00+00:00")
VENTIMIGLIA = {"lat": 43.7915, "lon": 7.6083, "place": "Ventimiglia", "country": "ITA"}
PARIS = {"lat": 48.8809, "lon": 2.3553, "place": "Paris Gare du Nord", "country": "FRA"}
CHILD = {
    "given_names": "Samir",
    "family_name": "Haidari",
    "other_names": [],
    "sex": "male",
    "date_of_birth": "2012-03-05",
    "date_of_birth_kind": "exact",
    "age_range": {"min": 12, "max": 14},
    "nationalities": ["AFG"],
    "languages": ["prs"],
}


def alert(
    alert_id: str | None = None,
    *,
    authority: str = AUTHORITY,
    category: str = "missing_protected",
) -> CloudEvent:
    alert_id = alert_id or str(uuid.uuid4())
    data = {
        "alert_id": alert_id,
        "issuing_authority": {"id": authority, "country": "ITA"},
        "status": "active",
        "category": category,
        "child": CHILD,
        "last_seen": {"at": LAST_SEEN.isoformat(), "location": VENTIMIGLIA},
    }
    return new_event(ALERT_PUBLISHED, "/kinlink/test", alert_id, data, time=LAST_SEEN)


def sighting(sighting_id: str | None = None, *, where: dict[str, Any] = PARIS) -> CloudEvent:
    sighting_id = sighting_id or str(uuid.uuid4())
    at = LAST_SEEN + timedelta(days=9)
    data = {
        "sighting_id": sighting_id,
        "reporter": {"id": "fr-hotline-116000", "kind": "hotline", "country": "FRA"},
        "observed_at": at.isoformat(),
        "location": where,
        "child": {"given_names": "Samir", "sex": "male", "age_range": {"min": 12, "max": 15}},
    }
    return new_event(SIGHTING_REPORTED, "/kinlink/test", sighting_id, data, time=at)


def registration(registration_id: str | None = None) -> CloudEvent:
    registration_id = registration_id or str(uuid.uuid4())
    at = LAST_SEEN + timedelta(days=8)
    data = {
        "registration_id": registration_id,
        "centre": {"id": "it-centre-roja", "country": "ITA"},
        "registered_at": at.isoformat(),
        "location": VENTIMIGLIA,
        "child": CHILD,
        "accompanied": False,
    }
    return new_event(REGISTRATION_RECORDED, "/kinlink/test", registration_id, data, time=at)


def observation_ref(event: CloudEvent) -> dict[str, str]:
    kind = "sighting" if event.type == SIGHTING_REPORTED else "registration"
    return {"type": kind, "id": str(event.subject)}


def proposed(
    alert_event: CloudEvent,
    observation_event: CloudEvent,
    *,
    revision: int = 1,
    score: float = 0.9,
    at: datetime | None = None,
) -> CloudEvent:
    obs = observation_ref(observation_event)
    match = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{alert_event.subject}/{obs['type']}/{obs['id']}"))
    data = {
        "match_id": match,
        "revision": revision,
        "alert_id": alert_event.subject,
        "observation": obs,
        "score": score,
        "explanation": [
            {"signal": "name", "contribution": 3.5, "detail": "full"},
            {"signal": "place_time", "contribution": 0.5, "detail": "easy_reach"},
        ],
        "engine_version": "test-engine",
    }
    return new_event(MATCH_PROPOSED, "/kinlink/correlator", match, data, time=at)


def withdrawn(proposal: CloudEvent, *, revision: int, reason: str = "outranked") -> CloudEvent:
    data = {
        key: proposal.data[key] for key in ("match_id", "alert_id", "observation", "engine_version")
    }
    data.update(revision=revision, reason=reason)
    return new_event(MATCH_WITHDRAWN, "/kinlink/correlator", str(proposal.subject), data)
