"""PFIF records as plain values (a person's fields and its notes, keyed by PFIF 1.4 field names;
the XML layer renames to and from 1.3), and what the mapping reads from intake's store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Fields = dict[str, str]


@dataclass(frozen=True)
class PfifNote:
    fields: Fields
    position: str = ""  # where the note was read from, e.g. /person/2/note/0 (parsed files)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


@dataclass(frozen=True)
class PfifPerson:
    fields: Fields
    notes: tuple[PfifNote, ...] = field(default_factory=tuple)
    position: str = ""

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def record_id(self) -> str:
        return self.get("person_record_id")


@dataclass(frozen=True)
class Provenance:
    """Where an imported record came from: the partner's ids and source fields, kept verbatim
    so that a re-export names the partner as the home repository (PFIF 1.4 section 2.3)."""

    person_record_id: str
    source_name: str = ""
    source_url: str = ""
    source_date: str = ""
    expiry_date: str = ""
    author_name: str = ""
    note_record_id: str = ""

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Provenance:
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ConfirmedLink:
    """A match an investigator confirmed (a `match.reviewed` decision), as intake keeps it."""

    match_id: str
    alert_id: str
    observation_type: str
    observation_id: str
    reviewer_org: str
    reviewed_at: datetime
    stored_at: datetime


@dataclass(frozen=True)
class ExportSource:
    """One alert, registration or sighting as the export reads it. `entry_at` is the last time
    this repository changed what PFIF shows of it (the record itself or a confirmed link)."""

    record_type: str
    record_id: str
    org_id: str
    data: dict[str, Any]
    created_at: datetime
    entry_at: datetime
    status: str | None = None
    resolution: dict[str, Any] | None = None
    provenance: Provenance | None = None
    links: tuple[ConfirmedLink, ...] = ()
