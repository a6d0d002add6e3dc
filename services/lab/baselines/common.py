"""What both baselines read from a stream of structured CloudEvents, and how they answer.

The baselines see the alerts' final person data (after updates), the original last-seen
time, and the resolution time; they only pair an observation made at or after the child
went missing and published before the alert was resolved.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    REGISTRATION_RECORDED,
    SIGHTING_REPORTED,
)

MATCH_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kinlink.org/baselines/match")


@dataclass(frozen=True)
class Record:
    """One alert or observation, flattened to the fields the baselines compare."""

    kind: str  # "alert" | "registration" | "sighting"
    id: str
    given: str | None
    family: str | None
    full_name: str  # given + family + other names, space separated ("" when none)
    birth_year: int | None
    sex: str | None
    nationality: str | None
    at: datetime  # last seen (alerts) or observed / registered (observations)
    published: datetime
    resolved: datetime | None = None


def parse_time(value: str) -> datetime:
    """An RFC 3339 timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def birth_year(person: Mapping[str, Any], at: datetime) -> int | None:
    """Year of birth from the date, else from the middle of the age range at `at`."""
    dob = person.get("date_of_birth")
    if isinstance(dob, str) and len(dob) >= 4:
        return int(dob[:4])
    age = person.get("age_range")
    if isinstance(age, Mapping):
        return at.year - round((int(age["min"]) + int(age["max"])) / 2)
    return None


def _record(
    kind: str, ident: str, person: Mapping[str, Any], at: datetime, published: datetime
) -> Record:
    given = person.get("given_names") or None
    family = person.get("family_name") or None
    parts = [given or "", family or "", *person.get("other_names", [])]
    sex = person.get("sex")
    nationalities = person.get("nationalities") or []
    return Record(
        kind=kind,
        id=ident,
        given=given,
        family=family,
        full_name=" ".join(p for p in parts if p),
        birth_year=birth_year(person, at),
        sex=sex if sex in ("female", "male") else None,
        nationality=nationalities[0] if nationalities else None,
        at=at,
        published=published,
    )


def read_records(events: Iterable[Mapping[str, Any]]) -> tuple[list[Record], list[Record]]:
    """(alerts, observations) from structured-mode CloudEvents, in stream order."""
    alerts: dict[str, dict[str, Any]] = {}
    observations: list[Record] = []
    for event in events:
        ce_type, data = str(event["type"]), event["data"]
        published = parse_time(str(event["time"]))
        if ce_type == ALERT_PUBLISHED:
            alerts[data["alert_id"]] = {
                "child": data["child"],
                "published": published,
                "at": parse_time(data["last_seen"]["at"]),
                "resolved": None,
            }
        elif ce_type == ALERT_UPDATED and data["alert_id"] in alerts:
            if "child" in data["changes"]:
                alerts[data["alert_id"]]["child"] = data["changes"]["child"]
        elif ce_type == ALERT_RESOLVED and data["alert_id"] in alerts:
            alerts[data["alert_id"]]["resolved"] = published
        elif ce_type == REGISTRATION_RECORDED:
            observations.append(
                _record(
                    "registration",
                    data["registration_id"],
                    data["child"],
                    parse_time(data["registered_at"]),
                    published,
                )
            )
        elif ce_type == SIGHTING_REPORTED:
            observations.append(
                _record(
                    "sighting",
                    data["sighting_id"],
                    data["child"],
                    parse_time(data["observed_at"]),
                    published,
                )
            )
    records = []
    for alert_id, state in alerts.items():
        rec = _record("alert", alert_id, state["child"], state["at"], state["published"])
        records.append(Record(**{**rec.__dict__, "resolved": state["resolved"]}))
    return records, observations


def time_ok(alert: Record, observation: Record) -> bool:
    """The observation follows the disappearance and precedes the alert's resolution."""
    if observation.at < alert.at:
        return False
    return alert.resolved is None or observation.published <= alert.resolved


def proposal(
    alert_id: str,
    kind: str,
    obs_id: str,
    score: float,
    engine_version: str,
    explanation: list[dict[str, Any]],
) -> dict[str, Any]:
    """The data of an org.kinlink.match.proposed.v1 event for a pair."""
    return {
        "match_id": str(uuid.uuid5(MATCH_NAMESPACE, f"{alert_id}/{kind}/{obs_id}")),
        "revision": 1,
        "alert_id": alert_id,
        "observation": {"type": kind, "id": obs_id},
        "score": round(min(max(score, 0.0), 1.0), 6),
        "explanation": explanation,
        "engine_version": engine_version,
    }
