"""The notifier's event use cases: keep routing context, follow each match, notify recipients,
and escalate overdue matches.

A match is routed once its alert and observation context are both known (they may arrive after
the proposal: another topic, another partition); every step takes the routing lock, so a match
and its context never miss each other, and notification `seq` follows commit order. Each
revision is routed once: a redelivered event finds it routed and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.instants import plausible
from services.common.logging import get_logger
from services.common.tracing import current as current_trace
from services.notifier.domain.deadlines import is_overdue
from services.notifier.domain.model import (
    CONFIRMED,
    ESCALATED,
    PROPOSED,
    WITHDRAWN,
    MatchState,
    Notification,
    alert_context,
    observation_context,
    updated_alert_context,
)
from services.notifier.domain.payloads import notification_payload
from services.notifier.domain.routing import (
    Recipient,
    escalation_recipients,
    notification_id,
    proposal_recipients,
)
from services.notifier.repository import NotifierRepository, NotifierTransaction

log = get_logger(__name__)
Clock = Callable[[], datetime]


class Router:
    def __init__(self, review_window: timedelta, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self.window = review_window
        self._clock = clock

    # -- context -----------------------------------------------------------------------

    async def alert_published(self, data: dict[str, Any], tx: NotifierTransaction) -> None:
        await tx.lock_routing()
        alert = alert_context(data)
        await tx.save_alert_context(alert)
        for match in await tx.unrouted_matches(alert_id=alert.alert_id):
            await self.route(match, tx)

    async def alert_updated(self, data: dict[str, Any], tx: NotifierTransaction) -> None:
        await tx.lock_routing()
        current = await tx.alert_context(str(data["alert_id"]))
        if current is not None and isinstance(data.get("changes"), dict):
            await tx.save_alert_context(updated_alert_context(current, data["changes"]))

    async def alert_resolved(self, data: dict[str, Any], tx: NotifierTransaction) -> None:
        await tx.lock_routing()
        current = await tx.alert_context(str(data["alert_id"]))
        if current is not None:
            await tx.save_alert_context(replace(current, status="resolved"))

    async def observation_recorded(
        self, obs_type: str, data: dict[str, Any], tx: NotifierTransaction
    ) -> None:
        await tx.lock_routing()
        observation = observation_context(obs_type, data)
        await tx.save_observation_context(observation)
        key = (observation.obs_type, observation.obs_id)
        for match in await tx.unrouted_matches(observation=key):
            await self.route(match, tx)

    # -- matches -----------------------------------------------------------------------

    async def match_changed(
        self, status: str, data: dict[str, Any], at: datetime, tx: NotifierTransaction
    ) -> None:
        """A `match.proposed` (status proposed) or `match.withdrawn` (withdrawn) revision."""
        # The event's time starts the review window; one no clock could show (year 9999) would
        # overflow the deadline, so the window starts when the notifier learns of the match.
        at = plausible(at) or self._clock()
        await tx.lock_routing()
        revision = int(data["revision"])
        current = await tx.match(str(data["match_id"]))
        if current is not None and current.revision >= revision:
            return  # an older or repeated revision: the newer one stands
        observation = data["observation"]
        match = MatchState(
            match_id=str(data["match_id"]),
            alert_id=str(data["alert_id"]),
            obs_type=str(observation["type"]),
            obs_id=str(observation["id"]),
            revision=revision,
            status=status,
            score=data.get("score", current.score if current else None),
            explanation=data.get("explanation", current.explanation if current else []),
            engine_version=str(data["engine_version"]),
            first_proposed_at=current.first_proposed_at if current else at,
            changed_at=at,
            routed_revision=current.routed_revision if current else 0,
            decision=current.decision if current else None,
            reviewed_at=current.reviewed_at if current else None,
            escalated_at=current.escalated_at if current else None,
            withdrawn_reason=str(data["reason"]) if status == "withdrawn" else None,
            superseded_by=(
                str(data["superseded_by"])
                if status == "withdrawn" and data.get("superseded_by")
                else None
            ),
        )
        await tx.save_match(match)
        await self.route(match, tx)

    async def match_reviewed(self, data: dict[str, Any], tx: NotifierTransaction) -> None:
        """A decision published by any notifier instance: the match leaves the open queue."""
        await tx.lock_routing()
        match = await tx.match(str(data["match_id"]))
        at = datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00"))
        if match is not None and (match.reviewed_at is None or match.reviewed_at <= at):
            await tx.save_match(match.evolve(decision=data["decision"], reviewed_at=at))

    async def route(self, match: MatchState, tx: NotifierTransaction) -> None:
        """Notify the recipients of the match's latest revision, if not done yet."""
        if match.routed_revision >= match.revision:
            return
        alert = await tx.alert_context(match.alert_id)
        observation = await tx.observation_context(match.obs_type, match.obs_id)
        if alert is None or observation is None:
            return  # routed when the missing context arrives
        if match.status == "proposed":
            subscriptions = await tx.all_subscriptions()
            recipients = proposal_recipients(subscriptions, alert, observation, match.score)
            kind = PROPOSED
        else:
            recipients = await self._previous_recipients(match.match_id, tx)
            kind = WITHDRAWN
        await self.notify(match, kind, recipients, tx)
        await tx.save_match(match.evolve(routed_revision=match.revision))
        log.info(
            "match routed",
            match_id=match.match_id,
            revision=match.revision,
            kind=kind,
            recipients=len(recipients),
        )

    async def _previous_recipients(self, match_id: str, tx: NotifierTransaction) -> list[Recipient]:
        out = []
        for org_id, subscription_id in await tx.recipients_of(match_id):
            subscription = await tx.subscription(subscription_id) if subscription_id else None
            if subscription_id is None or subscription is not None:
                out.append(Recipient(org_id, subscription))
        return out

    async def notify(
        self, match: MatchState, kind: str, recipients: list[Recipient], tx: NotifierTransaction
    ) -> None:
        """One notification per recipient (stable id); webhook deliveries for subscriptions
        with an endpoint. Call with the routing lock held."""
        alert = await tx.alert_context(match.alert_id)
        observation = await tx.observation_context(match.obs_type, match.obs_id)
        if alert is None or observation is None:
            return
        now = self._clock()
        trace = current_trace()  # the span of the event (or request) that caused this
        traceparent = trace.traceparent if trace is not None else None
        for recipient in recipients:
            nid = notification_id(match.match_id, match.revision, kind, recipient)
            previous = await tx.latest_notification_id(
                match.match_id, recipient.org_id, recipient.subscription_id
            )
            payload = notification_payload(
                notification_id=nid, kind=kind, subscription_id=recipient.subscription_id,
                match=match, alert=alert, observation=observation, window=self.window,
                supersedes=previous if previous != nid else None, traceparent=traceparent,
            )  # fmt: skip
            note = Notification(nid, recipient.org_id, recipient.subscription_id,
                                match.match_id, kind, payload)  # fmt: skip
            stored = await tx.add_notification(note)
            hook = recipient.subscription.webhook if recipient.subscription else None
            if stored is not None and hook is not None and recipient.subscription_id:
                await tx.enqueue_delivery(nid, recipient.subscription_id, now)

    async def confirmed(self, match: MatchState, tx: NotifierTransaction) -> None:
        """Tell the issuing police unit at once that its alert's child was found."""
        alert = await tx.alert_context(match.alert_id)
        if alert is not None and alert.authority_id:
            await self.notify(match, CONFIRMED, [Recipient(alert.authority_id)], tx)

    # -- deadlines ---------------------------------------------------------------------

    async def escalate_overdue(self, repository: NotifierRepository, batch: int = 100) -> int:
        """Flag and re-notify every open match past its review deadline; returns how many.
        Reads stored times only, so it also catches what came due while nothing ran."""
        now = self._clock()
        escalated = 0
        while True:
            async with repository.transaction() as tx:
                await tx.lock_routing()
                due = await tx.overdue_matches(now - self.window, batch)
                for match in due:
                    if is_overdue(match, now, self.window):
                        await self._escalate(match.evolve(escalated_at=now), tx)
                        escalated += 1
            if len(due) < batch:
                return escalated

    async def _escalate(self, match: MatchState, tx: NotifierTransaction) -> None:
        await tx.save_match(match)
        alert = await tx.alert_context(match.alert_id)
        observation = await tx.observation_context(match.obs_type, match.obs_id)
        if alert is None or observation is None:
            return
        subscriptions = await tx.all_subscriptions()
        recipients = escalation_recipients(subscriptions, alert, observation, match.score)
        await self.notify(match, ESCALATED, recipients, tx)
        log.warning(
            "match escalated: review overdue", match_id=match.match_id, recipients=len(recipients)
        )
