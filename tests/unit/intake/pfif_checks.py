"""Checks of a PFIF document written from the published specifications (PFIF 1.3 and 1.4,
http://zesty.ca/pfif/), independent of intake's own parser: read with the standard library.

- mandatory fields: person_record_id, source_date, full_name on a person (1.3 and 1.4, section
  2.1) and note_record_id, author_name, source_date on a note (+ text in 1.3), except that an
  expired person is a placeholder;
- every field is one the version defines, in the version's order, at most once;
- dates are UTC `YYYY-MM-DDThh:mm:ssZ`; record ids are `domain/local-id`;
- note status is one of information_sought, is_note_author, believed_alive, believed_missing,
  believed_dead; sex is female, male or other; age N or N-M; date_of_birth YYYY[-MM[-DD]];
- after expiry_date only person_record_id, entry_date, expiry_date, source_date remain, with
  source_date = entry_date and no notes (section 3.3);
- a note nested in a person names that person; linked_person_record_id links are symmetric.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

NS = {"1.3": "http://zesty.ca/pfif/1.3", "1.4": "http://zesty.ca/pfif/1.4"}
_HOME = ["home_street", "home_neighborhood", "home_city", "home_state", "home_postal_code",
         "home_country", "photo_url"]  # fmt: skip
_HEAD = ["person_record_id", "entry_date", "expiry_date", "author_name", "author_email",
         "author_phone", "source_name", "source_date", "source_url", "full_name"]  # fmt: skip
PERSON = {
    "1.3": [*_HEAD, "first_name", "last_name", "sex", "date_of_birth", "age", *_HOME, "other"],
    "1.4": [*_HEAD, "given_name", "family_name", "alternate_names", "description", "sex",
            "date_of_birth", "age", *_HOME, "profile_urls"],
}  # fmt: skip
_NOTE_HEAD = ["note_record_id", "person_record_id", "linked_person_record_id", "entry_date",
              "author_name", "author_email", "author_phone", "source_date"]  # fmt: skip
_NOTE_TAIL = ["status", "email_of_found_person", "phone_of_found_person", "last_known_location",
              "text"]  # fmt: skip
NOTE = {
    "1.3": [*_NOTE_HEAD, "found", *_NOTE_TAIL],
    "1.4": [*_NOTE_HEAD, "author_made_contact", *_NOTE_TAIL, "photo_url"],
}
MANDATORY_PERSON = ["person_record_id", "source_date", "full_name"]
MANDATORY_NOTE = {"1.3": ["note_record_id", "author_name", "source_date", "text"],
                  "1.4": ["note_record_id", "author_name", "source_date"]}  # fmt: skip
STATUSES = {"information_sought", "is_note_author", "believed_alive", "believed_missing",
            "believed_dead"}  # fmt: skip
PLACEHOLDER = {"person_record_id", "entry_date", "expiry_date", "source_date"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
RECORD_ID = re.compile(
    r"^([a-zA-Z]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?/.+$"
)
FORMATS = {
    "sex": re.compile(r"^(female|male|other)$"),
    "age": re.compile(r"^\d+(-\d+)?$"),
    "date_of_birth": re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$"),
    "found": re.compile(r"^(true|false)$"),
    "author_made_contact": re.compile(r"^(true|false)$"),
}


def violations(document: bytes, version: str, now: datetime | None = None) -> list[str]:
    """Every way `document` breaks the PFIF `version` specification (empty: none)."""
    now = now or datetime.now(UTC)
    ns = NS[version]
    root = ET.fromstring(document)
    problems: list[str] = []
    if root.tag != f"{{{ns}}}pfif":
        return [f"root is {root.tag}, not pfif:pfif in {ns}"]
    links: dict[str, set[str]] = {}
    for person in root:
        if person.tag != f"{{{ns}}}person":
            problems.append(f"unexpected {person.tag} under pfif")
            continue
        fields = _fields(person, ns, PERSON[version], "person", problems)
        pid = fields.get("person_record_id", "?")
        notes = [n for n in person if n.tag == f"{{{ns}}}note"]
        expiry = fields.get("expiry_date")
        if expiry and DATE.match(expiry) and _date(expiry) <= now:
            extra = set(fields) - PLACEHOLDER
            if extra or notes:
                problems.append(f"{pid}: expired but keeps {sorted(extra)} and {len(notes)} notes")
            if fields.get("source_date") != fields.get("entry_date"):
                problems.append(f"{pid}: placeholder source_date differs from entry_date")
            continue
        problems += [f"{pid}: person lacks {f}" for f in MANDATORY_PERSON if not fields.get(f)]
        for note in notes:
            nf = _fields(note, ns, NOTE[version], "note", problems)
            problems += [f"{pid}: note lacks {f}" for f in MANDATORY_NOTE[version] if not nf.get(f)]
            if nf.get("person_record_id", pid) != pid:
                problems.append(f"{pid}: nested note names another person")
            if nf.get("status") and nf["status"] not in STATUSES:
                problems.append(f"{pid}: note status {nf['status']} is not a PFIF status")
            if nf.get("linked_person_record_id"):
                links.setdefault(pid, set()).add(nf["linked_person_record_id"])
    for a, others in links.items():
        problems += [
            f"{a}: link to {b} is not returned" for b in others if a not in links.get(b, set())
        ]
    return problems


def _fields(
    element: ET.Element, ns: str, order: list[str], kind: str, problems: list[str]
) -> dict[str, str]:
    fields: dict[str, str] = {}
    last = -1
    for child in element:
        name = child.tag.removeprefix(f"{{{ns}}}")
        if kind == "person" and name == "note":
            continue
        if name not in order:
            problems.append(f"{kind} field {name} is not in the specification")
            continue
        if order.index(name) < last:
            problems.append(f"{kind} field {name} out of order")
        last = order.index(name)
        if name in fields:
            problems.append(f"{kind} field {name} repeated")
        value = child.text or ""
        fields[name] = value
        if name in ("entry_date", "expiry_date", "source_date") and not DATE.match(value):
            problems.append(f"{kind} {name} {value!r} is not YYYY-MM-DDThh:mm:ssZ")
        if name.endswith("record_id") and not RECORD_ID.match(value):
            problems.append(f"{kind} {name} {value!r} is not domain/local-id")
        if name in FORMATS and not FORMATS[name].match(value):
            problems.append(f"{kind} {name} {value!r} has the wrong format")
    return fields


def _date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
