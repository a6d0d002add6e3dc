"""The notifier's store, as the use cases see it (the port): a Protocol and its records.

`PostgresNotifierRepository` (services/notifier/postgres.py) implements it; the unit tests use an
in-memory fake checked against it by one shared contract test. All work happens inside a
transaction (`NotifierTransaction`), opened by `transaction()` or by the consumer runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.common.audit import AuditEntry
from services.common.envelope import CloudEvent
from services.common.outcomes import IdempotencyStore
from services.notifier.domain.model import (
    AlertContext,
    MatchState,
    Notification,
    ObservationContext,
    Subscription,
)


@dataclass(frozen=True)
class Review:
    match_id: str
    revision: int
    decision: str
    reviewer: str
    org_id: str
    at: datetime
    override_reason: str | None = None


@dataclass(frozen=True)
class DeliveryAttempt:
    notification_id: str
    subscription_id: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass(frozen=True)
class DueDelivery:
    notification: Notification
    subscription: Subscription
    attempts: int


@dataclass(frozen=True)
class QueueItem:
    match: MatchState
    alert: AlertContext | None
    observation: ObservationContext | None


class NotifierTransaction(IdempotencyStore, Protocol):
    """What a use case may read and change, atomically."""

    async def lock_routing(self) -> None:
        """Serialise routing (context, matches, notifications) until the transaction ends, so
        that a match and its context never miss each other and `seq` follows commit order."""

    # -- subscriptions
    async def save_subscription(self, subscription: Subscription) -> Subscription:
        """Insert or replace; returns it with its stored timestamps."""

    async def subscription(self, subscription_id: str) -> Subscription | None: ...

    async def subscriptions_of(self, org_id: str) -> list[Subscription]: ...

    async def all_subscriptions(self) -> list[Subscription]: ...

    async def delete_subscription(self, subscription_id: str) -> None:
        """Remove it and its pending webhook deliveries."""

    # -- what routing knows of alerts and observations
    async def save_alert_context(self, alert: AlertContext) -> None: ...

    async def alert_context(self, alert_id: str) -> AlertContext | None: ...

    async def save_observation_context(self, observation: ObservationContext) -> None: ...

    async def observation_context(
        self, obs_type: str, obs_id: str
    ) -> ObservationContext | None: ...

    # -- matches
    async def match(self, match_id: str) -> MatchState | None:
        """The match, locked until the transaction ends."""

    async def save_match(self, match: MatchState) -> None: ...

    async def unrouted_matches(
        self, *, alert_id: str | None = None, observation: tuple[str, str] | None = None
    ) -> list[MatchState]:
        """Matches of this alert or observation whose latest revision was not routed yet."""

    async def overdue_matches(self, proposed_before: datetime, limit: int) -> list[MatchState]:
        """Open, unescalated matches first proposed before the time, oldest first."""

    async def queue(self, org_id: str, *, open_only: bool, limit: int) -> list[QueueItem]:
        """Matches the organisation was notified of, most urgent first (so that a limit keeps
        them): escalated and undecided, then open, then by score (highest first), then the
        oldest proposal first."""

    # -- notifications
    async def add_notification(self, notification: Notification) -> Notification | None:
        """Store it with the next `seq`; None if a notification with its id exists."""

    async def latest_notification_id(
        self, match_id: str, recipient_org: str, subscription_id: str | None
    ) -> str | None: ...

    async def recipients_of(self, match_id: str) -> list[tuple[str, str | None]]:
        """(organisation, subscription id or None) of everyone told of the match before."""

    async def notifications(
        self,
        recipient_org: str,
        *,
        after_seq: int,
        limit: int,
        subscription_id: str | None = None,
    ) -> list[Notification]: ...

    # -- webhook deliveries
    async def enqueue_delivery(
        self, notification_id: str, subscription_id: str, due: datetime
    ) -> None: ...

    async def claim_due_deliveries(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        """Pending deliveries due by `now` on enabled endpoints, leased until `lease_until` (a
        crashed deliverer's lease expires and another retries)."""

    async def record_attempt(self, attempt: DeliveryAttempt) -> None: ...

    async def delivered(self, notification_id: str, at: datetime) -> None:
        """Mark delivered and reset the endpoint's run of failures."""

    async def failed(
        self, notification_id: str, retry_at: datetime, disable_after: int, at: datetime
    ) -> bool:
        """Schedule a retry and count the endpoint's failure; True if it is now disabled."""

    async def enable_webhook(self, subscription_id: str, now: datetime) -> None:
        """Re-enable the endpoint: failures reset, its pending deliveries due now."""

    async def delivery_attempts(self, subscription_id: str, limit: int) -> list[DeliveryAttempt]:
        """The newest attempts first."""

    # -- reviews and audit
    async def add_review(self, review: Review) -> None: ...

    async def reviews(self, match_id: str) -> list[Review]:
        """Oldest first."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None: ...

    async def emit(self, event: CloudEvent) -> None:
        """Publish `event` if and only if this transaction commits (the outbox)."""


class NotifierRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[NotifierTransaction]: ...
