"""A scenario as the partners would send it: one HTTP request to intake per scenario event.

Alerts are published by their issuing authority, registrations recorded by their reception
centre, sightings reported by their reporter, each with its own bearer token; updates and
resolutions name the alert by the id intake gave it, so they are built when their turn comes.
Every request carries an `Idempotency-Key`, as a real client's retry needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    REGISTRATION_RECORDED,
    SIGHTING_REPORTED,
)

# A sighting reported by the public reaches Kinlink through a 116 000 hotline.
_REPORTER_KINDS = {"police": "police", "ngo": "ngo", "hotline": "hotline", "public": "hotline"}


@dataclass(frozen=True)
class Caller:
    org: str
    kind: str
    country: str


@dataclass(frozen=True)
class PlannedRequest:
    """One scenario event as a request; `target` is the scenario id of the record it makes
    or changes (the alert for updates and resolutions)."""

    index: int
    event_type: str
    record_type: str
    target: str
    caller: Caller
    body: dict[str, Any]

    def method_and_path(self, intake_ids: Mapping[str, str]) -> tuple[str, str] | None:
        """None when the request names an alert intake never accepted."""
        if self.event_type == ALERT_PUBLISHED:
            return "POST", "/v1/alerts"
        if self.event_type == REGISTRATION_RECORDED:
            return "POST", "/v1/registrations"
        if self.event_type == SIGHTING_REPORTED:
            return "POST", "/v1/sightings"
        alert = intake_ids.get(self.target)
        if alert is None:
            return None
        if self.event_type == ALERT_UPDATED:
            return "PATCH", f"/v1/alerts/{alert}"
        return "POST", f"/v1/alerts/{alert}/resolve"

    def final_body(self, intake_ids: Mapping[str, str]) -> dict[str, Any]:
        """The body with scenario alert ids replaced by intake's (unknown links dropped)."""
        links = self.body.get("linked_alert_ids")
        if not isinstance(links, list):
            return self.body
        mapped = [intake_ids[a] for a in links if a in intake_ids]
        body = {k: v for k, v in self.body.items() if k != "linked_alert_ids"}
        return {**body, "linked_alert_ids": mapped} if mapped else body


def _without(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def plan_requests(events: list[dict[str, Any]]) -> list[PlannedRequest]:
    """Structured-mode scenario events, in order, as requests to intake."""
    planned = []
    for index, event in enumerate(events):
        kind, data = str(event["type"]), event["data"]
        if kind == ALERT_PUBLISHED:
            issuer = data["issuing_authority"]
            caller = Caller(issuer["id"], "police", issuer["country"])
            body = _without(data, "alert_id", "issuing_authority", "status")
            planned.append(PlannedRequest(index, kind, "alert", data["alert_id"], caller, body))
        elif kind in (ALERT_UPDATED, ALERT_RESOLVED):
            # The publishing authority changes its own alert: found from the earlier request.
            publisher = next(p for p in planned if p.target == data["alert_id"]).caller
            body = (
                {**data["changes"], **({"reason": data["reason"]} if "reason" in data else {})}
                if kind == ALERT_UPDATED
                else _without(data, "alert_id", "at")
            )
            planned.append(PlannedRequest(index, kind, "alert", data["alert_id"], publisher, body))
        elif kind == REGISTRATION_RECORDED:
            centre = data["centre"]
            caller = Caller(centre["id"], "reception_centre", centre["country"])
            body = _without(data, "registration_id", "centre")
            planned.append(
                PlannedRequest(index, kind, "registration", data["registration_id"], caller, body)
            )
        elif kind == SIGHTING_REPORTED:
            reporter = data["reporter"]
            caller = Caller(
                reporter["id"], _REPORTER_KINDS[reporter["kind"]], data["location"]["country"]
            )
            body = _without(data, "sighting_id", "reporter")
            planned.append(
                PlannedRequest(index, kind, "sighting", data["sighting_id"], caller, body)
            )
    return planned
