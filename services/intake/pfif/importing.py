"""PFIF persons from a partner repository as intake request bodies (pure, field by field).

A person becomes one sighting or one alert; its latest note that gives a location with
coordinates says when and where (`source_date`, `last_known_location`). Names, sex, date of
birth and age map to the child; `description` (1.3 `other`) lines written by a Kinlink export
(nationalities, languages, category, ...) are read back. The partner's person_record_id and
source fields become the record's provenance. Every problem is a FieldError naming the record
(`/person/3/...`, with its person_record_id in the detail) and the PFIF field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.errors import FieldError
from services.intake.pfif.export import DEFAULT_NOTE_TEXT, UNKNOWN_NAME
from services.intake.pfif.records import PfifNote, PfifPerson, Provenance
from services.intake.pfif.spec import (
    AGE,
    DATE_OF_BIRTH,
    NOTE_STATUSES,
    PLACEHOLDER_FIELDS,
    RECORD_ID,
    SEXES,
    parse_date,
)

AS_TYPES = ("sightings", "alerts")
CATEGORIES = ("missing_protected", "missing", "abduction_risk", "exploitation_risk")
_COORDINATES = re.compile(
    r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*(?:\((?P<label>[^()]*)\))?\s*$"
)
_KEY_LINE = re.compile(r"^([a-z_]+):\s*(.*)$")
_CORE = (
    "given_names",
    "family_name",
    "other_names",
    "sex",
    "date_of_birth",
    "date_of_birth_kind",
    "age_range",
    "nationalities",
    "languages",
)


@dataclass(frozen=True)
class Candidate:
    """One person to store: the request body of its door, extra event fields, provenance."""

    person_record_id: str
    body: dict[str, Any]
    extra: dict[str, Any]
    provenance: Provenance


@dataclass(frozen=True)
class Skipped:
    person_record_id: str
    reason: str  # "expired" (a placeholder) or "own" (a record this repository originated)


def to_candidates(
    persons: list[PfifPerson], as_type: str, own_domain: str, now: datetime
) -> tuple[list[Candidate | Skipped], list[FieldError]]:
    results: list[Candidate | Skipped] = []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for person in persons:
        found = _check_person(person)
        pid = person.record_id
        if pid in seen:
            found.append(_err(person, "person_record_id", "appears twice in the file"))
        seen.add(pid)
        if found:
            errors.extend(found)
            continue
        if _is_placeholder(person, now):
            results.append(Skipped(pid, "expired"))
        elif pid.split("/", 1)[0] == own_domain:
            results.append(Skipped(pid, "own"))
        else:
            candidate = _candidate(person, as_type, errors)
            if candidate is not None:
                results.append(candidate)
    return results, errors


def _err(person: PfifPerson, field: str, detail: str, note: PfifNote | None = None) -> FieldError:
    where = note.position if note is not None else person.position
    return FieldError(f"{where}/{field}", f"person {person.record_id or '(no id)'}: {detail}")


def _check_person(person: PfifPerson) -> list[FieldError]:
    errors = []
    if not RECORD_ID.match(person.record_id):
        errors.append(_err(person, "person_record_id", "must be present as domain/local-id"))
    for name in ("entry_date", "expiry_date", "source_date"):
        value = person.get(name)
        if value and parse_date(value) is None:
            errors.append(_err(person, name, "must be a UTC date YYYY-MM-DDThh:mm:ssZ"))
    if not person.get("source_date"):
        errors.append(_err(person, "source_date", "is mandatory"))
    checks = (
        ("sex", lambda v: v in SEXES),
        ("age", AGE.match),
        ("date_of_birth", DATE_OF_BIRTH.match),
    )
    for name, ok in checks:
        if person.get(name) and not ok(person.get(name)):
            errors.append(_err(person, name, "is not a value PFIF allows"))
    for note in person.notes:
        errors.extend(_check_note(person, note))
    return errors


def _check_note(person: PfifPerson, note: PfifNote) -> list[FieldError]:
    errors = []
    if not RECORD_ID.match(note.get("note_record_id")):
        errors.append(_err(person, "note_record_id", "must be present as domain/local-id", note))
    if parse_date(note.get("source_date")) is None:
        errors.append(_err(person, "source_date", "must be a UTC date YYYY-MM-DDThh:mm:ssZ", note))
    if note.get("status") and note.get("status") not in NOTE_STATUSES:
        errors.append(_err(person, "status", f"must be one of {', '.join(NOTE_STATUSES)}", note))
    linked = note.get("linked_person_record_id")
    if linked and not RECORD_ID.match(linked):
        errors.append(_err(person, "linked_person_record_id", "must be domain/local-id", note))
    return errors


def _is_placeholder(person: PfifPerson, now: datetime) -> bool:
    expiry = parse_date(person.get("expiry_date"))
    bare = set(person.fields) <= set(PLACEHOLDER_FIELDS) and not person.notes
    return bare or (expiry is not None and expiry <= now)


def parse_location(text: str) -> dict[str, Any] | None:
    """`lat, lon (place; COUNTRY)` as written by the export, or bare `lat, lon`."""
    match = _COORDINATES.match(text)
    if match is None:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    location: dict[str, Any] = {"lat": lat, "lon": lon}
    label = (match.group("label") or "").strip()
    place, _, country = label.rpartition("; ")
    if re.fullmatch(r"[A-Z]{3}", country):
        location["country"] = country
    else:
        place = label
    if place:
        location["place"] = place
    return location


def _where_and_when(
    person: PfifPerson, errors: list[FieldError]
) -> tuple[PfifNote, dict[str, Any]] | None:
    placed = [
        (parse_date(n.get("source_date")), n, parse_location(n.get("last_known_location")))
        for n in person.notes
        if not n.get("linked_person_record_id")
    ]
    usable = [(at, n, loc) for at, n, loc in placed if at is not None and loc is not None]
    if not usable:
        errors.append(
            FieldError(
                f"{person.position}/note",
                f"person {person.record_id}: no note gives a last_known_location with"
                " coordinates (lat, lon) and a source_date",
            )
        )
        return None
    _, note, location = max(usable, key=lambda item: item[0])
    return note, location


def _labels(person: PfifPerson) -> dict[str, str]:
    labels = {}
    for line in person.get("description").splitlines():
        match = _KEY_LINE.match(line.strip())
        if match:
            labels[match.group(1)] = match.group(2).strip()
    return labels


def _child(person: PfifPerson, labels: dict[str, str], complete: bool) -> dict[str, Any]:
    full = person.get("full_name")
    named = person.get("given_name") or person.get("family_name")
    given = person.get("given_name") or ("" if named or full == UNKNOWN_NAME else full)
    age = person.get("age")
    low, _, high = age.partition("-")
    child: dict[str, Any] = {
        "given_names": given or None,
        "family_name": person.get("family_name") or None,
        "other_names": _other_names(person, labels),
        "sex": {"female": "female", "male": "male", "other": "unknown"}.get(person.get("sex")),
        "date_of_birth": person.get("date_of_birth") or None,
        "date_of_birth_kind": labels.get("date_of_birth_kind")
        or ("estimated" if person.get("date_of_birth") else "unknown"),
        "age_range": {"min": int(low), "max": int(high or low)} if age else None,
        "nationalities": _codes(labels.get("nationalities")),
        "languages": _codes(labels.get("languages")),
        "father_name": labels.get("father_name") or None,
        "mother_name": labels.get("mother_name") or None,
    }
    if person.get("photo_url"):
        child["photo_refs"] = [person.get("photo_url")]
    if complete:  # alerts carry every core field, null or empty where unknown
        child["sex"] = child["sex"] or "unknown"
        optional = {k: v for k, v in child.items() if k not in _CORE and v not in (None, [])}
        return {**{k: child[k] for k in _CORE}, **optional}
    return {k: v for k, v in child.items() if v not in (None, [])}


def _other_names(person: PfifPerson, labels: dict[str, str]) -> list[str]:
    if person.get("alternate_names"):
        return [n.strip() for n in person.get("alternate_names").splitlines() if n.strip()]
    return [n.strip() for n in labels.get("alternate_names", "").split(";") if n.strip()]


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _candidate(person: PfifPerson, as_type: str, errors: list[FieldError]) -> Candidate | None:
    found = _where_and_when(person, errors)
    if found is None:
        return None
    note, location = found
    labels = _labels(person)
    at = note.get("source_date")
    text = note.get("text")
    text = "" if text in DEFAULT_NOTE_TEXT.values() else text
    if as_type == "sightings":
        body: dict[str, Any] = {
            "observed_at": at,
            "location": location,
            "child": _child(person, labels, False),
        }
        extra = {"description": text} if text else {}
    else:
        category = labels.get("category") if labels.get("category") in CATEGORIES else "missing"
        child = _child(person, labels, True)
        if not child.get("given_names"):
            errors.append(_err(person, "given_name", "an alert needs the child's name"))
            return None
        body = {"category": category, "child": child, "last_seen": {"at": at, "location": location}}
        if text:
            body["circumstances"] = text
        extra = {}
    provenance = Provenance(
        person_record_id=person.record_id,
        source_name=person.get("source_name"),
        source_url=person.get("source_url"),
        source_date=person.get("source_date"),
        expiry_date=person.get("expiry_date"),
        author_name=person.get("author_name"),
        note_record_id=note.get("note_record_id"),
    )
    return Candidate(person.record_id, body, extra, provenance)
