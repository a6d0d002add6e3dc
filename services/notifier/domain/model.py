"""The notifier's records: what it keeps of alerts and observations (places, times, issuers —
never names, birth data or free text about a child), matches, subscriptions and notifications.

Context is read tolerantly from contract event data: consumers read only what they need.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.common.envelope import format_time

PROPOSED, WITHDRAWN, ESCALATED, CONFIRMED = (
    "match.proposed",
    "match.withdrawn",
    "match.escalated",
    "match.confirmed",
)
NOTIFICATION_KINDS = (PROPOSED, WITHDRAWN, ESCALATED, CONFIRMED)


@dataclass(frozen=True)
class Seen:
    """Where and when: the last sighting before an alert, or an observation."""

    at: datetime | None
    lat: float | None = None
    lon: float | None = None
    place: str | None = None
    country: str | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.lat, self.lon) if self.lat is not None and self.lon is not None else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": format_time(self.at) if self.at else None}
        if self.point is not None:
            location: dict[str, Any] = {"lat": self.lat, "lon": self.lon}
            if self.place:
                location["place"] = self.place
            if self.country:
                location["country"] = self.country
            out["location"] = location
        return out

    @classmethod
    def from_json(cls, raw: Any) -> Seen:
        if not isinstance(raw, dict):
            return cls(None)
        found = raw.get("location")
        location: dict[str, Any] = found if isinstance(found, dict) else {}
        lat, lon = location.get("lat"), location.get("lon")
        place, country = location.get("place"), location.get("country")
        numeric = isinstance(lat, int | float) and isinstance(lon, int | float)
        return cls(
            at=_time(raw.get("at")),
            lat=float(lat) if numeric and lat is not None else None,
            lon=float(lon) if numeric and lon is not None else None,
            place=place if isinstance(place, str) else None,
            country=country if isinstance(country, str) else None,
        )


@dataclass(frozen=True)
class AlertContext:
    alert_id: str
    authority_id: str
    country: str
    category: str
    status: str
    last_seen: Seen


@dataclass(frozen=True)
class ObservationContext:
    obs_type: str
    obs_id: str
    org_id: str
    seen: Seen


@dataclass(frozen=True)
class MatchState:
    match_id: str
    alert_id: str
    obs_type: str
    obs_id: str
    revision: int
    status: str  # proposed | withdrawn
    score: float | None
    explanation: list[dict[str, Any]]
    engine_version: str
    first_proposed_at: datetime
    changed_at: datetime
    routed_revision: int = 0
    decision: str | None = None
    reviewed_at: datetime | None = None
    escalated_at: datetime | None = None
    # Why the correlator withdrew it (match.withdrawn's reason, kept as said: consumers accept
    # reasons they do not know) and the match that superseded it, if any; None while proposed.
    withdrawn_reason: str | None = None
    superseded_by: str | None = None

    def evolve(self, **changes: Any) -> MatchState:
        return replace(self, **changes)

    @property
    def open(self) -> bool:
        """Waiting for an investigator's decision."""
        return self.status == "proposed" and self.decision is None


@dataclass(frozen=True)
class Region:
    """A bounding box (min_lon, min_lat, max_lon, max_lat) or a centre with a radius."""

    bbox: tuple[float, float, float, float] | None = None
    centre: tuple[float, float] | None = None  # (lat, lon)
    radius_km: float | None = None


@dataclass(frozen=True)
class Filters:
    """Every filter given must accept; an empty filter accepts every match."""

    issuing_countries: tuple[str, ...] = ()
    issuing_authorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    alert_ids: tuple[str, ...] = ()
    observation_types: tuple[str, ...] = ()
    min_score: float | None = None
    region: Region | None = None


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str
    failures: int = 0
    disabled_at: datetime | None = None


@dataclass(frozen=True)
class Subscription:
    id: str
    org_id: str
    org_kind: str
    created_by: str
    name: str
    filters: Filters
    escalation_contact: bool = False
    webhook: Webhook | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Notification:
    id: str
    recipient_org: str
    subscription_id: str | None
    match_id: str | None  # None for a notification about an alert (alert.review_due)
    kind: str
    payload: dict[str, Any]
    seq: int = 0
    created_at: datetime | None = None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def alert_context(data: dict[str, Any]) -> AlertContext:
    """What routing needs from `alert.published` data."""
    authority = data.get("issuing_authority") or {}
    return AlertContext(
        alert_id=str(data["alert_id"]),
        authority_id=str(authority.get("id", "")),
        country=str(authority.get("country", "")),
        category=str(data.get("category", "")),
        status="active" if data.get("status", "active") in ("active", "published") else "resolved",
        last_seen=Seen.from_json(data.get("last_seen")),
    )


def updated_alert_context(current: AlertContext, changes: dict[str, Any]) -> AlertContext:
    """Apply `alert.updated` changes that routing cares about (category, last seen)."""
    out = current
    if isinstance(changes.get("category"), str):
        out = replace(out, category=changes["category"])
    if isinstance(changes.get("last_seen"), dict):
        out = replace(out, last_seen=Seen.from_json(changes["last_seen"]))
    return out


def observation_context(obs_type: str, data: dict[str, Any]) -> ObservationContext:
    """What routing needs from `registration.recorded` / `sighting.reported` data."""
    if obs_type == "registration":
        org, at = data.get("centre") or {}, data.get("registered_at")
    else:
        org, at = data.get("reporter") or {}, data.get("observed_at")
    seen = Seen.from_json({"at": at, "location": data.get("location")})
    return ObservationContext(obs_type, str(data[f"{obs_type}_id"]), str(org.get("id", "")), seen)
