"""Who is told about a match, and the stable id of what they are told.

Recipients of a proposal are the issuing police unit (always, without subscribing) and every
subscription whose filters accept the match; a police unit's own subscriptions concern only its
own alerts. A withdrawal goes to whoever was told of the match before. An escalation goes to
the issuing unit and to the accepting subscriptions marked as escalation contacts; a
confirmation to the issuing unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from services.notifier.domain.filters import accepts
from services.notifier.domain.model import (
    PROPOSED,
    AlertContext,
    ObservationContext,
    Subscription,
)

_NOTIFICATION_NAMESPACE = uuid.UUID("9b1f4c36-8d2e-4e0b-9a57-3c2d1e8f7a60")


@dataclass(frozen=True)
class Recipient:
    """An organisation told through one of its subscriptions, or as the issuing authority
    (`subscription` None)."""

    org_id: str
    subscription: Subscription | None = None

    @property
    def key(self) -> str:
        """What identifies this recipient in a notification id."""
        return self.subscription.id if self.subscription else f"authority/{self.org_id}"

    @property
    def subscription_id(self) -> str | None:
        return self.subscription.id if self.subscription else None


def notification_id(match_id: str, revision: int, kind: str, recipient: Recipient) -> str:
    """Stable: the same match revision, kind and recipient always give the same id, so a
    redelivered event or a retried webhook carries the id the receiver already saw."""
    suffix = "" if kind == PROPOSED else f"/{kind}"
    return str(
        uuid.uuid5(_NOTIFICATION_NAMESPACE, f"{match_id}/{revision}/{recipient.key}{suffix}")
    )


def subscription_accepts(
    subscription: Subscription,
    alert: AlertContext,
    observation: ObservationContext,
    score: float | None,
) -> bool:
    if subscription.org_kind == "police" and alert.authority_id != subscription.org_id:
        return False
    return accepts(subscription.filters, alert, observation, score)


def proposal_recipients(
    subscriptions: Iterable[Subscription],
    alert: AlertContext,
    observation: ObservationContext,
    score: float | None,
) -> list[Recipient]:
    out = [Recipient(alert.authority_id)] if alert.authority_id else []
    out.extend(
        Recipient(s.org_id, s)
        for s in subscriptions
        if subscription_accepts(s, alert, observation, score)
    )
    return out


def escalation_recipients(
    subscriptions: Iterable[Subscription],
    alert: AlertContext,
    observation: ObservationContext,
    score: float | None,
) -> list[Recipient]:
    contacts = [s for s in subscriptions if s.escalation_contact]
    return proposal_recipients(contacts, alert, observation, score)
