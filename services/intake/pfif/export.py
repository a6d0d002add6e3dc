"""Intake's records as PFIF persons with notes (pure: records in, PfifPerson values out).

Mapping (README "PFIF exchange"): every alert, registration and sighting is one person record
whose id is `<domain>/<type>.<uuid>` (or, for a record imported from a partner, the partner's
own person_record_id). Its first note says what Kinlink knows, with a PFIF status: an alert's
child is `information_sought` (the issuer seeks them); a registered or sighted child is
`believed_alive` (author_made_contact true for a registration, where the centre met the child).
A resolved alert adds a note: found -> `believed_alive` at the found location; withdrawn -> a
plain note. A confirmed match adds one note on EACH of the two records carrying the other's id
as `linked_person_record_id` (PFIF's duplicate link), the alert's side with `believed_alive`.
An erased or expired record is reduced to PFIF's placeholder (spec.PLACEHOLDER_FIELDS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.intake.pfif.records import ConfirmedLink, ExportSource, Fields, PfifNote, PfifPerson
from services.intake.pfif.spec import format_date, parse_date

UNKNOWN_NAME = "(name unknown)"
DEFAULT_NOTE_TEXT = {
    "alert": "Missing-child alert published on Kinlink.",
    "registration": "Child registered by a reception centre on Kinlink.",
    "sighting": "Sighting reported on Kinlink.",
}
ORGANISATION = {"alert": "issuing_authority", "registration": "centre", "sighting": "reporter"}
OBSERVED_AT = {
    "alert": ("last_seen", "at"),
    "registration": ("registered_at",),
    "sighting": ("observed_at",),
}
LOCATION = {
    "alert": ("last_seen", "location"),
    "registration": ("location",),
    "sighting": ("location",),
}


@dataclass(frozen=True)
class ExportSettings:
    domain: str  # this repository's domain: the home of the records it originates
    source_name: str = "Kinlink"
    expiry_days: int = 365  # when a record names no expiry or review date of its own
    record_url: str = ""  # base URL of intake, for source_url (empty: no source_url)


def person_record_id(source: ExportSource, settings: ExportSettings) -> str:
    if source.provenance is not None:
        return source.provenance.person_record_id
    return f"{settings.domain}/{source.record_type}.{source.record_id}"


def expiry_of(source: ExportSource, settings: ExportSettings) -> datetime:
    """The record's own expiry or review date where known, else the configured default."""
    known = [source.data.get("expiry_date"), source.data.get("review_date")]
    if source.provenance is not None:
        known.insert(0, source.provenance.expiry_date)
    for value in known:
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is not None:
            return parsed
    return source.created_at + timedelta(days=settings.expiry_days)


def is_reduced(source: ExportSource, settings: ExportSettings, now: datetime) -> bool:
    """Erased (its personal fields are gone), expired, or an alert ended by expiry: PFIF shows
    only a placeholder. The retention service erases by removing `child` or marking `erased`."""
    erased = not isinstance(source.data.get("child"), dict) or source.data.get("erased") is True
    ended = (source.resolution or {}).get("resolution") == "expired"
    return erased or ended or expiry_of(source, settings) <= now


def to_person(
    source: ExportSource, settings: ExportSettings, now: datetime, ids: dict[tuple[str, str], str]
) -> PfifPerson:
    """One record as a PFIF person. `ids` gives the person_record_id of linked records
    ((type, uuid) -> id) for those imported from partners; others get this domain's ids."""
    expiry = expiry_of(source, settings)
    pid = person_record_id(source, settings)
    if is_reduced(source, settings, now):
        # The placeholder is dated when the record ended (PFIF: source_date = entry_date, made
        # by the expiry): at its expiry, or, erased earlier, at its last change, which is then
        # also the expiry the partners must apply to their copies.
        ended = min(source.entry_at, expiry)
        stamp = format_date(ended)
        expires = format_date(expiry if expiry <= now else ended)
        return PfifPerson(
            {
                "person_record_id": pid,
                "entry_date": stamp,
                "expiry_date": expires,
                "source_date": stamp,
            }
        )
    fields = _person_fields(source, settings, pid, expiry)
    notes = [_status_note(source, settings, pid)]
    if source.status == "resolved" and source.resolution:
        notes.append(_resolution_note(source, settings, pid))
    for link in source.links:
        notes.append(_link_note(source, settings, pid, link, ids))
    return PfifPerson(fields, tuple(notes))


def _person_fields(
    source: ExportSource, settings: ExportSettings, pid: str, expiry: datetime
) -> Fields:
    child: dict[str, Any] = source.data["child"]
    given, family = child.get("given_names") or "", child.get("family_name") or ""
    p = source.provenance
    fields: Fields = {
        "person_record_id": pid,
        "entry_date": format_date(source.entry_at),
        "expiry_date": format_date(expiry),
        "author_name": (p.author_name if p and p.author_name else _organisation(source)),
        "source_name": p.source_name if p and p.source_name else settings.source_name,
        "source_date": p.source_date if p and p.source_date else format_date(source.created_at),
        "source_url": p.source_url if p else _own_url(source, settings),
        "full_name": " ".join(part for part in (given, family) if part) or UNKNOWN_NAME,
        "given_name": given,
        "family_name": family,
        "alternate_names": "\n".join(child.get("other_names") or []),
        "description": _description(source),
        "sex": str(child["sex"]) if child.get("sex") in ("female", "male") else "",
        "date_of_birth": child.get("date_of_birth") or "",
        "age": _age(child.get("age_range")),
        "photo_url": next(
            (u for u in child.get("photo_refs") or [] if u.startswith(("http://", "https://"))), ""
        ),
    }
    return {k: v for k, v in fields.items() if v}


def _description(source: ExportSource) -> str:
    """Machine-readable `key: value` lines (PFIF 1.3 `other` convention) for what PFIF has no
    field for but matching needs; the import reads them back."""
    child = source.data["child"]
    lines = [f"kinlink_record: {source.record_type}"]
    if source.record_type == "alert":
        lines.append(f"category: {source.data.get('category')}")
    for key in ("nationalities", "languages"):
        if child.get(key):
            lines.append(f"{key}: {', '.join(child[key])}")
    if child.get("date_of_birth_kind"):
        lines.append(f"date_of_birth_kind: {child['date_of_birth_kind']}")
    for key in ("father_name", "mother_name"):
        if child.get(key):
            lines.append(f"{key}: {child[key]}")
    return "\n".join(lines)


def _age(age_range: Any) -> str:
    if not isinstance(age_range, dict):
        return ""
    low, high = age_range.get("min"), age_range.get("max")
    return str(low) if low == high else f"{low}-{high}"


def _organisation(source: ExportSource) -> str:
    organisation = source.data.get(ORGANISATION[source.record_type]) or {}
    return str(organisation.get("id") or source.org_id)


def _own_url(source: ExportSource, settings: ExportSettings) -> str:
    if not settings.record_url:
        return ""
    return f"{settings.record_url.rstrip('/')}/v1/{source.record_type}s/{source.record_id}"


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def format_location(location: Any) -> str:
    """`lat, lon (place; COUNTRY)`: coordinates first, which Person Finder shows on a map."""
    if not isinstance(location, dict):
        return ""
    label = "; ".join(str(location[k]) for k in ("place", "country") if location.get(k))
    text = f"{location['lat']}, {location['lon']}"
    return f"{text} ({label})" if label else text


def _note_id(source: ExportSource, settings: ExportSettings, suffix: str) -> str:
    return f"{settings.domain}/{source.record_type}.{source.record_id}.{suffix}"


def _status_note(source: ExportSource, settings: ExportSettings, pid: str) -> PfifNote:
    kind = source.record_type
    observed = _dig(source.data, OBSERVED_AT[kind])
    at = parse_time(observed) if isinstance(observed, str) else None
    p = source.provenance
    text = source.data.get("description") or source.data.get("circumstances")
    fields: Fields = {
        "note_record_id": p.note_record_id
        if p and p.note_record_id
        else _note_id(source, settings, "status"),
        "person_record_id": pid,
        "entry_date": format_date(source.created_at),
        "author_name": _organisation(source),
        "source_date": format_date(at or source.created_at),
        "author_made_contact": {"registration": "true", "sighting": "false"}.get(kind, ""),
        "status": "information_sought" if kind == "alert" else "believed_alive",
        "last_known_location": format_location(_dig(source.data, LOCATION[kind])),
        "text": str(text or DEFAULT_NOTE_TEXT[kind]),
    }
    return PfifNote({k: v for k, v in fields.items() if v})


def _resolution_note(source: ExportSource, settings: ExportSettings, pid: str) -> PfifNote:
    resolution = source.resolution or {}
    found = resolution.get("resolution") == "found"
    at = parse_time(str(resolution.get("at") or "")) or source.entry_at
    fields: Fields = {
        "note_record_id": _note_id(source, settings, "resolution"),
        "person_record_id": pid,
        "entry_date": format_date(source.entry_at),
        "author_name": _organisation(source),
        "source_date": format_date(at),
        "status": "believed_alive" if found else "",
        "last_known_location": format_location(resolution.get("found_location")),
        "text": "The child was found; the alert is resolved."
        if found
        else "The issuer withdrew the alert.",
    }
    return PfifNote({k: v for k, v in fields.items() if v})


def _link_note(
    source: ExportSource,
    settings: ExportSettings,
    pid: str,
    link: ConfirmedLink,
    ids: dict[tuple[str, str], str],
) -> PfifNote:
    on_alert = source.record_type == "alert"
    other = (link.observation_type, link.observation_id) if on_alert else ("alert", link.alert_id)
    other_id = ids.get(other) or f"{settings.domain}/{other[0]}.{other[1]}"
    side = "alert" if on_alert else "observation"
    fields: Fields = {
        "note_record_id": f"{settings.domain}/match.{link.match_id}.{side}",
        "person_record_id": pid,
        "linked_person_record_id": other_id,
        "entry_date": format_date(link.stored_at),
        "author_name": link.reviewer_org,
        "source_date": format_date(link.reviewed_at),
        "status": "believed_alive" if on_alert else "",
        "text": "An investigator confirmed that both records describe the same child.",
    }
    return PfifNote({k: v for k, v in fields.items() if v})


def parse_time(value: str) -> datetime | None:
    """An RFC 3339 time from a record (any offset), or None."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
