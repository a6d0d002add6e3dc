"""Domain model of the correlator: frozen records parsed tolerantly from contract event data.

Consumers read only what they need: unknown fields are ignored and missing optional fields
become None or empty tuples, so a partner adding a field never breaks matching.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from services.common.catalog import REGISTRATION_RECORDED, SIGHTING_REPORTED
from services.common.instants import plausible
from services.correlator.domain.birthplace import Birthplace, parse_birthplace
from services.correlator.domain.documents import Document, parse_documents
from services.correlator.domain.height import parse_height
from services.correlator.domain.marks import Mark, parse_marks

ObservationKind = Literal["registration", "sighting"]

OBSERVATION_EVENT_KINDS: dict[str, ObservationKind] = {
    REGISTRATION_RECORDED: "registration",
    SIGHTING_REPORTED: "sighting",
}


def parse_time(value: object) -> datetime | None:
    """RFC 3339 text to an aware datetime (UTC when no offset is given); None when unusable
    (not a date-time, or not services.common.instants.plausible)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return plausible(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC))


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _codes(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(sorted({v.strip() for v in value if isinstance(v, str) and v.strip()}))


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    place: str | None = None
    country: str | None = None


def parse_location(value: object) -> Location | None:
    if not isinstance(value, dict):
        return None
    lat, lon = _number(value.get("lat")), _number(value.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Location(lat, lon, _text(value.get("place")), _text(value.get("country")))


@dataclass(frozen=True, slots=True)
class OriginalScriptName:
    script: str | None
    given_names: str
    family_name: str | None


@dataclass(frozen=True, slots=True)
class Person:
    given_names: str | None = None
    family_name: str | None = None
    other_names: tuple[str, ...] = ()
    original_script: OriginalScriptName | None = None
    father_name: str | None = None
    mother_name: str | None = None
    sex: str = "unknown"
    date_of_birth: str | None = None
    date_of_birth_kind: str = "unknown"
    age_min: int | None = None
    age_max: int | None = None
    nationalities: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    documents: tuple[Document, ...] = ()
    birthplace: Birthplace = ()
    height: int | None = None
    marks: tuple[Mark, ...] = ()


def parse_person(value: object) -> Person:
    if not isinstance(value, dict):
        return Person()
    original = None
    raw_orig = value.get("names_original_script")
    if isinstance(raw_orig, dict) and _text(raw_orig.get("given_names")):
        original = OriginalScriptName(
            _text(raw_orig.get("script")),
            str(_text(raw_orig.get("given_names"))),
            _text(raw_orig.get("family_name")),
        )
    age_min = age_max = None
    age = value.get("age_range")
    if isinstance(age, dict):
        lo, hi = _number(age.get("min")), _number(age.get("max"))
        if lo is not None and hi is not None and lo <= hi:
            age_min, age_max = int(lo), int(hi)
    others = value.get("other_names")
    sex = value.get("sex")
    kind = value.get("date_of_birth_kind")
    return Person(
        given_names=_text(value.get("given_names")),
        family_name=_text(value.get("family_name")),
        other_names=tuple(o for o in others if isinstance(o, str) and o.strip())
        if isinstance(others, list)
        else (),
        original_script=original,
        father_name=_text(value.get("father_name")),
        mother_name=_text(value.get("mother_name")),
        sex=sex if sex in ("female", "male") else "unknown",
        date_of_birth=_text(value.get("date_of_birth")),
        date_of_birth_kind=kind if isinstance(kind, str) else "unknown",
        age_min=age_min,
        age_max=age_max,
        nationalities=_codes(value.get("nationalities")),
        languages=_codes(value.get("languages")),
        documents=parse_documents(value.get("identity_documents")),
        birthplace=parse_birthplace(value.get("place_of_birth")),
        height=parse_height(value.get("height_cm")),
        marks=parse_marks(value.get("distinguishing_marks")),
    )


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    status: str
    category: str | None
    authority_id: str | None
    authority_country: str | None
    child: Person
    last_seen_at: datetime | None
    last_seen_location: Location | None
    # When and where the child went missing, if a later last-seen report replaced them.
    first_seen_at: datetime | None = None
    first_seen_location: Location | None = None

    def with_changes(self, changes: dict[str, Any]) -> Alert:
        """Apply an alert.updated `changes` object: present fields replace the old values."""
        updated = self
        if "child" in changes:
            updated = replace(updated, child=parse_person(changes["child"]))
        if isinstance(changes.get("last_seen"), dict):
            seen = changes["last_seen"]
            if updated.first_seen_at is None:
                updated = replace(
                    updated,
                    first_seen_at=updated.last_seen_at,
                    first_seen_location=updated.last_seen_location,
                )
            updated = replace(
                updated,
                last_seen_at=parse_time(seen.get("at")) or updated.last_seen_at,
                last_seen_location=parse_location(seen.get("location"))
                or updated.last_seen_location,
            )
        if isinstance(changes.get("category"), str):
            updated = replace(updated, category=changes["category"])
        return updated


def parse_alert(data: dict[str, Any]) -> Alert:
    authority = data.get("issuing_authority")
    authority = authority if isinstance(authority, dict) else {}
    seen = data.get("last_seen")
    seen = seen if isinstance(seen, dict) else {}
    # The store keeps the first last-seen report under `first_seen` once an update replaced it.
    first = data.get("first_seen")
    first = first if isinstance(first, dict) else {}
    status = data.get("status")
    return Alert(
        alert_id=str(data.get("alert_id", "")),
        status=status if isinstance(status, str) else "active",
        category=_text(data.get("category")),
        authority_id=_text(authority.get("id")),
        authority_country=_text(authority.get("country")),
        child=parse_person(data.get("child")),
        last_seen_at=parse_time(seen.get("at")),
        last_seen_location=parse_location(seen.get("location")),
        first_seen_at=parse_time(first.get("at")),
        first_seen_location=parse_location(first.get("location")),
    )


@dataclass(frozen=True, slots=True)
class Observation:
    kind: ObservationKind
    obs_id: str
    time: datetime | None
    location: Location | None
    person: Person


def parse_observation(kind: ObservationKind, data: dict[str, Any]) -> Observation:
    if kind == "registration":
        obs_id, at = data.get("registration_id"), data.get("registered_at")
    else:
        obs_id, at = data.get("sighting_id"), data.get("observed_at")
    return Observation(
        kind=kind,
        obs_id=str(obs_id or ""),
        time=parse_time(at),
        location=parse_location(data.get("location")),
        person=parse_person(data.get("child")),
    )
