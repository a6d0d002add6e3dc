"""The retention rules as pure functions: when an alert is reviewed, warned about, expired and
erased, when an observation is erased, and what erasure keeps of a record.

Modelled on the Schengen Information System (Regulation (EU) 2018/1862, Art. 53): an alert on a
child is reviewed after a period set by its category (1 year for preventive alerts, 5 years for
missing children, by default), the issuer is warned ahead of the date and may extend the alert
with a reason; otherwise it expires and its personal data is erased. An alert that ended (found,
withdrawn) is erased after a grace period. An observation (registration, sighting) is erased
once no open alert needs it and either its own period ran out or every alert it matched was
erased. Erasure keeps identifiers, organisations, categories, statuses and dates: what audit,
statistics and the other services' tombstones need, nothing that describes the child.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

PREVENTIVE = ("abduction_risk", "exploitation_risk")
MISSING = ("missing", "missing_protected")


class AlertStep(StrEnum):
    WARN = "warn"
    EXPIRE = "expire"  # resolve as expired, then erase
    ERASE = "erase"


@dataclass(frozen=True)
class RetentionPolicy:
    review_days: dict[str, int] = field(
        default_factory=lambda: {**dict.fromkeys(PREVENTIVE, 365), **dict.fromkeys(MISSING, 1826)}
    )
    warning: timedelta = timedelta(days=122)  # about four months
    after_end: timedelta = timedelta(days=90)
    observation: timedelta = timedelta(days=365)
    audit: timedelta = timedelta(days=1096)  # three years

    def review_period(self, category: str | None) -> timedelta:
        # An unknown category gets the shortest period: erring towards erasure, never keeping.
        days = self.review_days.get(category or "", min(self.review_days.values()))
        return timedelta(days=days)

    def review_due(self, category: str | None, start: datetime) -> datetime:
        """The review date of an alert published, or last extended, at `start`."""
        return start + self.review_period(category)


@dataclass(frozen=True)
class AlertRetention:
    """What the rules need to know of an alert."""

    alert_id: str
    status: str  # active | resolved
    category: str | None
    review_due_at: datetime
    review_warned_for: datetime | None
    resolution: str | None  # found | withdrawn | expired
    resolved_at: datetime | None
    erased_at: datetime | None
    extensions: int = 0


def alert_step(policy: RetentionPolicy, alert: AlertRetention, now: datetime) -> AlertStep | None:
    if alert.erased_at is not None:
        return None
    if alert.status == "active":
        if now >= alert.review_due_at:
            return AlertStep.EXPIRE
        warned = alert.review_warned_for == alert.review_due_at
        if not warned and now >= alert.review_due_at - policy.warning:
            return AlertStep.WARN
        return None
    if alert.resolution == "expired":
        return AlertStep.ERASE
    ended = alert.resolved_at or alert.review_due_at
    return AlertStep.ERASE if now >= ended + policy.after_end else None


def erasure_reason(alert: AlertRetention) -> str:
    return "review_expired" if alert.status == "active" or alert.resolution == "expired" \
        else "alert_ended"


@dataclass(frozen=True)
class ObservationRetention:
    obs_type: str
    obs_id: str
    created_at: datetime
    linked_alerts: tuple[tuple[str, bool, bool], ...]  # (alert id, open?, erased?)
    erased_at: datetime | None = None


def observation_reason(
    policy: RetentionPolicy, obs: ObservationRetention, now: datetime
) -> str | None:
    """Why the observation is to be erased now, or None while it is kept."""
    if obs.erased_at is not None or any(is_open for _, is_open, _ in obs.linked_alerts):
        return None
    if obs.linked_alerts and all(erased for _, _, erased in obs.linked_alerts):
        return "linked_alert_erased"
    if now >= obs.created_at + policy.observation:
        return "retention_elapsed"
    return None


# What erasure keeps of each record's data (everything else goes): an allow-list, so that a
# field added to the contract later is erased unless someone decides to keep it.
_KEPT = {
    "alert": ("alert_id", "issuing_authority", "status", "category", "case_type", "risk_level",
              "linked_alert_ids", "authority_reference"),
    "registration": ("registration_id", "centre", "registered_at"),
    "sighting": ("sighting_id", "reporter", "observed_at"),
}
_KEPT_RESOLUTION = ("alert_id", "resolution", "at", "match_id")


def erased_data(record_type: str, data: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in data.items() if k in _KEPT[record_type]}
    if record_type == "alert" and isinstance(data.get("last_seen"), dict):
        kept["last_seen"] = {"at": data["last_seen"].get("at")}  # the date, not the place
    return {**kept, "erased": True}


def erased_resolution(resolution: dict[str, Any] | None) -> dict[str, Any] | None:
    if resolution is None:
        return None
    return {k: v for k, v in resolution.items() if k in _KEPT_RESOLUTION}
