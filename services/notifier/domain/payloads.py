"""What a notification says: enough to decide whether to look, nothing that identifies a child.

It carries the match (id, revision, score, the correlator's explanation), the alert's category,
issuer and last-seen place and time, the observation's type, place and time, the distance
and days between them, and the W3C `traceparent` of the trace it belongs to. Never names,
birth data or free text about the child: those stay in intake, behind its audited read API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.common.envelope import format_time
from services.common.geo import distance_km
from services.notifier.domain.deadlines import review_due
from services.notifier.domain.model import AlertContext, MatchState, ObservationContext, Seen


def travel(last_seen: Seen, observed: Seen) -> dict[str, Any]:
    """Distance (km) and days from the last sighting to the observation, where known."""
    out: dict[str, Any] = {}
    if last_seen.point is not None and observed.point is not None:
        out["distance_km"] = round(distance_km(last_seen.point, observed.point), 1)
    if last_seen.at is not None and observed.at is not None:
        out["days"] = round((observed.at - last_seen.at).total_seconds() / 86400, 2)
    return out


def match_summary(match: MatchState, window: timedelta) -> dict[str, Any]:
    return {
        "match_id": match.match_id,
        "revision": match.revision,
        "status": match.status,
        "score": match.score,
        "explanation": match.explanation,
        "engine_version": match.engine_version,
        "first_proposed_at": format_time(match.first_proposed_at),
        "review_due_at": format_time(review_due(match, window)),
        "escalated": match.escalated_at is not None,
        "decision": match.decision,
        "withdrawn_reason": match.withdrawn_reason,
        "superseded_by": match.superseded_by,
    }


def context_summary(alert: AlertContext, observation: ObservationContext) -> dict[str, Any]:
    return {
        "alert": {
            "alert_id": alert.alert_id,
            "category": alert.category,
            "status": alert.status,
            "issuing_authority": {"id": alert.authority_id, "country": alert.country},
            "last_seen": alert.last_seen.to_json(),
        },
        "observation": {
            "type": observation.obs_type,
            "id": observation.obs_id,
            "seen": observation.seen.to_json(),
        },
        "travel": travel(alert.last_seen, observation.seen),
    }


def notification_payload(
    *,
    notification_id: str,
    kind: str,
    subscription_id: str | None,
    match: MatchState,
    alert: AlertContext,
    observation: ObservationContext,
    window: timedelta,
    supersedes: str | None,
    traceparent: str | None = None,
) -> dict[str, Any]:
    """`traceparent` is the W3C trace of the work that made the notification (the match event
    it follows), so that a notification can be found in every service's logs by trace id."""
    return {
        "id": notification_id,
        "kind": kind,
        "subscription_id": subscription_id,
        "supersedes": supersedes,
        "match": match_summary(match, window),
        **context_summary(alert, observation),
        "traceparent": traceparent,
    }
