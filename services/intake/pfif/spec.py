"""What the PFIF 1.3 and 1.4 specifications fix: namespaces, field order, mandatory fields,
value formats, note statuses and the placeholder left after expiry.

Followed: PFIF 1.4 (http://zesty.ca/pfif/1.4/, 2012-05-29) sections 2.1 "person" and 2.2
"note" (field lists and order, mandatory person_record_id, source_date, full_name; note_record_id,
author_name, source_date, plus `text` in 1.3), 2.3 "record identifiers" (`domain/local-id`,
the domain naming the home repository), 3.1 "dates" (UTC `YYYY-MM-DDThh:mm:ssZ`), 3.3 "expiry"
(after expiry_date only person_record_id, entry_date, expiry_date and source_date remain, with
source_date = entry_date = the time the placeholder was made, and no notes); PFIF 1.3
(http://zesty.ca/pfif/1.3/) for first_name/last_name, `other` and `found`, the fields 1.4 renamed.
Cross-checked against Google Person Finder's `app/pfif.py` (field orders, PLACEHOLDER_FIELDS) and
`tools/pfif-tools/app/pfif_validator.py` (formats, mandatory children).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class PfifVersion:
    version: str
    namespace: str
    person_fields: tuple[str, ...]
    note_fields: tuple[str, ...]
    person_mandatory: tuple[str, ...]
    note_mandatory: tuple[str, ...]


_COMMON_HEAD = (
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
)
_HOME = (
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
)
_NOTE_HEAD = (
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
)
_NOTE_TAIL = (
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
)

PFIF_1_3 = PfifVersion(
    "1.3",
    "http://zesty.ca/pfif/1.3",
    (*_COMMON_HEAD, "first_name", "last_name", "sex", "date_of_birth", "age", *_HOME, "other"),
    (*_NOTE_HEAD, "found", *_NOTE_TAIL),
    ("person_record_id", "source_date", "full_name"),
    ("note_record_id", "author_name", "source_date", "text"),
)
PFIF_1_4 = PfifVersion(
    "1.4",
    "http://zesty.ca/pfif/1.4",
    (
        *_COMMON_HEAD,
        "given_name",
        "family_name",
        "alternate_names",
        "description",
        "sex",
        "date_of_birth",
        "age",
        *_HOME,
        "profile_urls",
    ),
    (*_NOTE_HEAD, "author_made_contact", *_NOTE_TAIL, "photo_url"),
    ("person_record_id", "source_date", "full_name"),
    ("note_record_id", "author_name", "source_date"),
)
VERSIONS = {v.version: v for v in (PFIF_1_3, PFIF_1_4)}
BY_NAMESPACE = {v.namespace: v for v in (PFIF_1_3, PFIF_1_4)}

# 1.4 renamed these 1.3 fields; the mapping speaks 1.4 names and the XML layer translates.
RENAMED_IN_1_4 = {
    "first_name": "given_name",
    "last_name": "family_name",
    "other": "description",
    "found": "author_made_contact",
}

NOTE_STATUSES = (
    "information_sought",
    "is_note_author",
    "believed_alive",
    "believed_missing",
    "believed_dead",
)
SEXES = ("female", "male", "other")
PLACEHOLDER_FIELDS = ("person_record_id", "entry_date", "expiry_date", "source_date")
DATE_FIELDS = ("entry_date", "expiry_date", "source_date")
BOOLEAN_FIELDS = ("author_made_contact", "found")

_LABEL = r"[a-zA-Z]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
RECORD_ID = re.compile(rf"^({_LABEL}\.)*{_LABEL}\.?/.+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE_OF_BIRTH = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
AGE = re.compile(r"^\d+(-\d+)?$")


def format_date(moment: datetime) -> str:
    """A PFIF date: UTC, whole seconds, `YYYY-MM-DDThh:mm:ssZ`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(text: str) -> datetime | None:
    """A PFIF date (fractional seconds tolerated, as 1.4 allows), or None if malformed."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z", text.strip())
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def record_domain(record_id: str) -> str:
    """The home repository named by a record id's domain part."""
    return record_id.split("/", 1)[0]
