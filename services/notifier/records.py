"""Rows of the notifier's tables as domain records (ids as text, JSON decoded by the pool)."""

from __future__ import annotations

from typing import Any

from services.notifier.domain.filters import filters_from_json
from services.notifier.domain.model import MatchState, Notification, Subscription, Webhook


def _text(value: Any) -> str:
    return str(value)


def subscription_of(row: Any) -> Subscription:
    webhook = None
    if row["webhook_url"] is not None:
        webhook = Webhook(
            row["webhook_url"],
            row["webhook_secret"],
            row["webhook_failures"],
            row["webhook_disabled_at"],
        )
    return Subscription(
        id=_text(row["id"]),
        org_id=row["org_id"],
        org_kind=row["org_kind"],
        created_by=row["created_by"],
        name=row["name"],
        filters=filters_from_json(row["filters"]),
        escalation_contact=row["escalation_contact"],
        webhook=webhook,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def match_of(row: Any) -> MatchState:
    return MatchState(
        match_id=_text(row["match_id"]),
        alert_id=_text(row["alert_id"]),
        obs_type=row["obs_type"],
        obs_id=_text(row["obs_id"]),
        revision=row["revision"],
        status=row["status"],
        score=row["score"],
        explanation=row["explanation"],
        engine_version=row["engine_version"],
        first_proposed_at=row["first_proposed_at"],
        changed_at=row["changed_at"],
        routed_revision=row["routed_revision"],
        decision=row["decision"],
        reviewed_at=row["reviewed_at"],
        escalated_at=row["escalated_at"],
        withdrawn_reason=row["withdrawn_reason"],
        superseded_by=_text(row["superseded_by"]) if row["superseded_by"] is not None else None,
    )


def notification_of(row: Any) -> Notification:
    subscription_id = row["subscription_id"]
    return Notification(
        id=_text(row["id"]),
        recipient_org=row["recipient_org"],
        subscription_id=_text(subscription_id) if subscription_id is not None else None,
        match_id=_text(row["match_id"]) if row["match_id"] is not None else None,
        kind=row["kind"],
        payload=row["payload"],
        seq=row["seq"],
        created_at=row["created_at"],
    )
