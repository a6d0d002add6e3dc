"""The scenario's data model: the children behind the records, and the ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class TruthRecord:
    """Which child an alert or observation belongs to.

    `at` is the time that decides whether a pair can be true: the observation time
    (registered_at / observed_at) for observations, and the moment the child went missing
    (the last_seen.at of the published alert, before any update) for alerts.
    """

    kind: str  # "alert" | "registration" | "sighting"
    id: str
    child_id: str
    script: str  # script the record's names were written in ("Latn", "Arab", "Ethi")
    origin: str  # alpha-3 country of origin of the child
    at: str = ""


@dataclass
class Child:
    """A child's true identity; records are noisy renderings of it."""

    child_id: str
    origin: str
    sex: str
    dob: date
    given: str
    family: str | None
    father: str
    grandfather: str
    mother: str
    mother_family: str | None
    languages: tuple[str, ...]
    family_id: str
    relation: str = "single"  # "single" | "sibling" | "cousin"


def true_pairs_from(truth: list[TruthRecord]) -> set[tuple[str, str, str]]:
    """(alert_id, observation type, observation id) for observations of the alert's child
    made at or after the moment the child went missing."""
    alerts: dict[str, list[tuple[str, datetime]]] = {}
    for rec in truth:
        if rec.kind == "alert":
            alerts.setdefault(rec.child_id, []).append((rec.id, _parse(rec.at)))
    pairs: set[tuple[str, str, str]] = set()
    for rec in truth:
        if rec.kind == "alert":
            continue
        at = _parse(rec.at)
        for alert_id, missing_at in alerts.get(rec.child_id, []):
            if at >= missing_at:
                pairs.add((alert_id, rec.kind, rec.id))
    return pairs


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Scenario:
    """Events in publication order plus the truth about every alert and observation."""

    seed: int
    events: list[dict[str, Any]] = field(default_factory=list)
    truth: list[TruthRecord] = field(default_factory=list)

    def true_pairs(self) -> set[tuple[str, str, str]]:
        """(alert_id, observation_type, observation_id) of every pair that must be matched."""
        return true_pairs_from(self.truth)
