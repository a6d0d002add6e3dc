"""Intake records as the PFIF export reads them, built from a generated scenario's events."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    REGISTRATION_RECORDED,
    SIGHTING_REPORTED,
)
from services.intake.pfif.records import ExportSource
from services.lab.scenario import generate_scenario

KINDS = {
    ALERT_PUBLISHED: "alert",
    REGISTRATION_RECORDED: "registration",
    SIGHTING_REPORTED: "sighting",
}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def scenario_sources(seed: int = 3, children: int = 30) -> list[ExportSource]:
    """Every alert (with its updates and resolution applied), registration and sighting."""
    sources: dict[str, ExportSource] = {}
    for event in generate_scenario(seed, children=children).events:
        data: dict[str, Any] = event["data"]
        at = _time(event["time"])
        if event["type"] in KINDS:
            kind = KINDS[event["type"]]
            record_id = data[f"{kind}_id"]
            org = (data.get("issuing_authority") or data.get("centre") or data["reporter"])["id"]
            sources[record_id] = ExportSource(
                kind, record_id, org, data, at, at, status="active" if kind == "alert" else None
            )
        elif event["type"] == ALERT_UPDATED:
            old = sources[data["alert_id"]]
            merged = {k: v for k, v in {**old.data, **data["changes"]}.items() if v is not None}
            sources[old.record_id] = replace(old, data=merged, entry_at=at)
        elif event["type"] == ALERT_RESOLVED:
            old = sources[data["alert_id"]]
            sources[old.record_id] = replace(old, status="resolved", resolution=data, entry_at=at)
    return list(sources.values())


def now_for(sources: list[ExportSource]) -> datetime:
    """A moment just after the scenario, before any default expiry."""
    return max(s.entry_at for s in sources) + timedelta(days=1)
