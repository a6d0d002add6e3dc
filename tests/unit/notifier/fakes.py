"""`InMemoryNotifierRepository`: the notifier's store in memory, for unit tests of the use cases.

It behaves as `PostgresNotifierRepository` does, and tests/integration/notifier/
test_repository_contract.py runs the same tests against both: transactions are all or nothing;
notification `seq` comes from a sequence (rising, never reused, even after a rollback); an
insert's `created_at` is the transaction's start (PostgreSQL `now()`), a subscription's later
save moves `updated_at` to the moment of the save; ids are UUIDs in canonical form, times come
back in UTC, JSON as jsonb keeps it, and text PostgreSQL cannot hold is refused; `emit`
validates as the outbox does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg

from services.common.audit import AuditEntry
from services.common.envelope import CloudEvent
from services.common.outcomes import StoredResponse
from services.common.schema_registry import SchemaRegistry
from services.notifier.domain.filters import filters_from_json, filters_to_json
from services.notifier.domain.model import (
    AlertContext,
    MatchState,
    Notification,
    ObservationContext,
    Seen,
    Subscription,
    Webhook,
)
from services.notifier.repository import (
    DeliveryAttempt,
    DueDelivery,
    QueueItem,
    Review,
)
from tests.unit.fake_store import (
    Closable,
    MemoryStore,
    OutboxRows,
    enqueue,
    stored_json,
    stored_text,
)

Clock = Callable[[], datetime]
MATCH_STATUSES = ("proposed", "withdrawn")
DECISIONS = ("confirmed", "rejected")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StoredDelivery:
    """A row of `webhook_deliveries`."""

    subscription_id: str
    next_attempt_at: datetime
    status: str = "pending"  # pending | delivered
    attempts: int = 0
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class StoredAudit:
    at: datetime
    entry: AuditEntry


@dataclass
class NotifierTables:
    subscriptions: dict[str, SubscriptionRow] = field(default_factory=dict)
    alerts: dict[str, AlertContext] = field(default_factory=dict)
    observations: dict[tuple[str, str], ObservationContext] = field(default_factory=dict)
    matches: dict[str, MatchState] = field(default_factory=dict)
    notifications: dict[str, Notification] = field(default_factory=dict)  # by id, in seq order
    deliveries: dict[str, StoredDelivery] = field(default_factory=dict)  # by notification id
    attempts: list[DeliveryAttempt] = field(default_factory=list)  # in insertion (id) order
    reviews: list[Review] = field(default_factory=list)
    responses: dict[tuple[str, str], StoredResponse] = field(default_factory=dict)
    audit: list[StoredAudit] = field(default_factory=list)
    outbox: OutboxRows = field(default_factory=list)


class InMemoryNotifierRepository(MemoryStore[NotifierTables, "_MemoryTransaction"]):
    """The notifier's tables in memory; `emitted` lists the events of committed transactions."""

    def __init__(
        self,
        registry: SchemaRegistry,
        topic: Callable[[str], str] = lambda name: name,
        clock: Clock = _now,
    ) -> None:
        super().__init__(registry, topic, NotifierTables())
        self.clock = clock
        self._seq = 0

    def _open(self, tables: NotifierTables) -> _MemoryTransaction:
        return _MemoryTransaction(self, tables)

    def next_seq(self) -> int:
        """`notifications.seq` (bigserial): drawn even by an insert that then conflicts."""
        self._seq += 1
        return self._seq


def _uuid(text: str) -> str:
    """As PostgreSQL's uuid type stores and returns it; a non-UUID is refused as asyncpg does."""
    try:
        return str(uuid.UUID(text))
    except (ValueError, TypeError, AttributeError):
        raise asyncpg.DataError(f"invalid input for query argument: {text!r} is no UUID") from None


def _optional_uuid(text: str | None) -> str | None:
    return _uuid(text) if text is not None else None


def _utc(moment: datetime) -> datetime:
    """As a timestamptz comes back: the same instant, in UTC."""
    return moment.astimezone(UTC)


def _optional_utc(moment: datetime | None) -> datetime | None:
    return _utc(moment) if moment is not None else None


def _seen(seen: Seen) -> Seen:
    """As `last_seen` / `seen` come back from their jsonb column."""
    return Seen.from_json(stored_json(seen.to_json()))


@dataclass
class SubscriptionRow:
    """A row of `subscriptions`: the webhook columns exist (and count failures) even while the
    URL is NULL, when the record shows no webhook."""

    id: str
    org_id: str
    org_kind: str
    created_by: str
    name: str
    filters: dict[str, Any]  # jsonb
    escalation_contact: bool
    webhook_url: str | None
    webhook_secret: str | None
    webhook_failures: int
    webhook_disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Subscription, now: datetime) -> SubscriptionRow:
        hook = s.webhook
        return cls(
            id=_uuid(s.id),
            org_id=stored_text(s.org_id),
            org_kind=stored_text(s.org_kind),
            created_by=stored_text(s.created_by),
            name=stored_text(s.name),
            filters=stored_json(filters_to_json(s.filters)),
            escalation_contact=s.escalation_contact,
            webhook_url=stored_text(hook.url) if hook else None,
            webhook_secret=stored_text(hook.secret) if hook else None,
            webhook_failures=hook.failures if hook else 0,
            webhook_disabled_at=_optional_utc(hook.disabled_at) if hook else None,
            created_at=now,
            updated_at=now,
        )

    def record(self) -> Subscription:
        webhook = None
        if self.webhook_url is not None:
            webhook = Webhook(
                self.webhook_url,
                cast(str, self.webhook_secret),
                self.webhook_failures,
                self.webhook_disabled_at,
            )
        return Subscription(
            id=self.id,
            org_id=self.org_id,
            org_kind=self.org_kind,
            created_by=self.created_by,
            name=self.name,
            filters=filters_from_json(stored_json(self.filters)),
            escalation_contact=self.escalation_contact,
            webhook=webhook,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def _match_row(match: MatchState) -> MatchState:
    if match.status not in MATCH_STATUSES:
        raise asyncpg.CheckViolationError("matches_status_check")
    if match.decision is not None and match.decision not in DECISIONS:
        raise asyncpg.CheckViolationError("matches_decision_check")
    return replace(
        match,
        match_id=_uuid(match.match_id),
        alert_id=_uuid(match.alert_id),
        obs_type=stored_text(match.obs_type),
        obs_id=_uuid(match.obs_id),
        score=float(match.score) if match.score is not None else None,
        explanation=stored_json(match.explanation),
        engine_version=stored_text(match.engine_version),
        first_proposed_at=_utc(match.first_proposed_at),
        changed_at=_utc(match.changed_at),
        reviewed_at=_optional_utc(match.reviewed_at),
        escalated_at=_optional_utc(match.escalated_at),
    )


def _copy_match(match: MatchState) -> MatchState:
    return replace(match, explanation=stored_json(match.explanation))


def _copy_notification(note: Notification) -> Notification:
    return replace(note, payload=stored_json(note.payload))


class _MemoryTransaction(Closable):
    def __init__(self, repo: InMemoryNotifierRepository, tables: NotifierTables) -> None:
        self._repo = repo
        self._tables = tables
        self._now = repo.clock()  # PostgreSQL now(): the start of the transaction

    async def lock_routing(self) -> None:
        self._check_open()  # transactions already run one at a time

    # -- idempotency -------------------------------------------------------------------

    async def lock_idempotency_key(self, org_id: str, key: str) -> None:
        self._check_open()

    async def stored_response(self, org_id: str, key: str) -> StoredResponse | None:
        self._check_open()
        found = self._tables.responses.get((org_id, key))
        return replace(found, body=stored_json(found.body)) if found is not None else None

    async def store_response(self, org_id: str, key: str, response: StoredResponse) -> None:
        self._check_open()
        for text in (org_id, key):
            stored_text(text)
        if (org_id, key) in self._tables.responses:
            raise asyncpg.UniqueViolationError("idempotency key already stored")
        self._tables.responses[(org_id, key)] = replace(response, body=stored_json(response.body))

    # -- subscriptions -----------------------------------------------------------------

    async def save_subscription(self, subscription: Subscription) -> Subscription:
        self._check_open()
        row = SubscriptionRow.of(subscription, self._now)
        current = self._tables.subscriptions.get(row.id)
        if current is not None:  # ON CONFLICT (id): owner and creation stay, the rest changes
            current.name, current.filters = row.name, row.filters
            current.escalation_contact = row.escalation_contact
            current.webhook_url, current.webhook_secret = row.webhook_url, row.webhook_secret
            current.webhook_failures = row.webhook_failures
            current.webhook_disabled_at = row.webhook_disabled_at
            current.updated_at = self._repo.clock()  # clock_timestamp(): the moment of the save
            row = current
        self._tables.subscriptions[row.id] = row
        return row.record()

    async def subscription(self, subscription_id: str) -> Subscription | None:
        self._check_open()
        row = self._tables.subscriptions.get(_uuid(subscription_id))
        return row.record() if row is not None else None

    def _ordered(self, rows: Sequence[SubscriptionRow]) -> list[Subscription]:
        ordered = sorted(rows, key=lambda r: (r.created_at, uuid.UUID(r.id)))
        return [r.record() for r in ordered]

    async def subscriptions_of(self, org_id: str) -> list[Subscription]:
        self._check_open()
        return self._ordered([r for r in self._tables.subscriptions.values() if r.org_id == org_id])

    async def all_subscriptions(self) -> list[Subscription]:
        self._check_open()
        return self._ordered(list(self._tables.subscriptions.values()))

    async def delete_subscription(self, subscription_id: str) -> None:
        self._check_open()
        key = _uuid(subscription_id)
        deliveries = self._tables.deliveries
        for notification_id, d in list(deliveries.items()):
            if d.subscription_id == key and d.status == "pending":
                del deliveries[notification_id]
        self._tables.subscriptions.pop(key, None)

    # -- context -----------------------------------------------------------------------

    async def save_alert_context(self, alert: AlertContext) -> None:
        self._check_open()
        key = _uuid(alert.alert_id)
        self._tables.alerts[key] = AlertContext(  # ON CONFLICT (alert_id) DO UPDATE
            alert_id=key,
            authority_id=stored_text(alert.authority_id),
            country=stored_text(alert.country),
            category=stored_text(alert.category),
            status=stored_text(alert.status),
            last_seen=_seen(alert.last_seen),
        )

    async def alert_context(self, alert_id: str) -> AlertContext | None:
        self._check_open()
        return self._tables.alerts.get(_uuid(alert_id))

    async def save_observation_context(self, observation: ObservationContext) -> None:
        self._check_open()
        key = (stored_text(observation.obs_type), _uuid(observation.obs_id))
        row = ObservationContext(
            key[0], key[1], stored_text(observation.org_id), _seen(observation.seen)
        )
        self._tables.observations.setdefault(key, row)  # ON CONFLICT DO NOTHING: the first stays

    async def observation_context(self, obs_type: str, obs_id: str) -> ObservationContext | None:
        self._check_open()
        found = self._tables.observations.get((obs_type, _uuid(obs_id)))
        # the real query reads org_id and seen, and gives back the id it was asked about
        return replace(found, obs_id=obs_id) if found is not None else None

    # -- matches -----------------------------------------------------------------------

    async def match(self, match_id: str) -> MatchState | None:
        self._check_open()
        found = self._tables.matches.get(_uuid(match_id))
        return _copy_match(found) if found is not None else None

    async def save_match(self, match: MatchState) -> None:
        self._check_open()
        row = _match_row(match)
        self._tables.matches[row.match_id] = row  # ON CONFLICT (match_id): every column

    async def unrouted_matches(
        self, *, alert_id: str | None = None, observation: tuple[str, str] | None = None
    ) -> list[MatchState]:
        self._check_open()
        alert_key = _optional_uuid(alert_id)
        obs_key = (observation[0], _uuid(observation[1])) if observation else None

        def concerned(m: MatchState) -> bool:
            return (alert_key is not None and m.alert_id == alert_key) or (
                obs_key is not None and (m.obs_type, m.obs_id) == obs_key
            )

        found = [
            m
            for m in self._tables.matches.values()
            if m.routed_revision < m.revision and concerned(m)
        ]
        return [_copy_match(m) for m in sorted(found, key=lambda m: uuid.UUID(m.match_id))]

    async def overdue_matches(self, proposed_before: datetime, limit: int) -> list[MatchState]:
        self._check_open()
        found = [
            m
            for m in self._tables.matches.values()
            if m.status == "proposed"
            and m.decision is None
            and m.escalated_at is None
            and m.first_proposed_at <= proposed_before
        ]
        found.sort(key=lambda m: (m.first_proposed_at, uuid.UUID(m.match_id)))
        return [_copy_match(m) for m in found[:limit]]

    async def queue(self, org_id: str, *, open_only: bool, limit: int) -> list[QueueItem]:
        self._check_open()
        notes = self._tables.notifications.values()
        told = {n.match_id for n in notes if n.recipient_org == org_id}
        found = [
            m
            for m in self._tables.matches.values()
            if m.match_id in told and (not open_only or m.open)
        ]

        def urgency(m: MatchState) -> tuple[bool, bool, float, datetime, uuid.UUID]:
            escalated = m.escalated_at is not None and m.decision is None
            return (not escalated, not m.open, -(m.score or 0.0), m.first_proposed_at,
                    uuid.UUID(m.match_id))  # fmt: skip

        found.sort(key=urgency)
        items = []
        for match in found[:limit]:
            alert = await self.alert_context(match.alert_id)
            observation = await self.observation_context(match.obs_type, match.obs_id)
            items.append(QueueItem(_copy_match(match), alert, observation))
        return items

    # -- notifications -----------------------------------------------------------------

    async def add_notification(self, notification: Notification) -> Notification | None:
        self._check_open()
        n = notification
        seq = self._repo.next_seq()  # nextval() runs before the conflict is found
        row = Notification(
            id=_uuid(n.id),
            recipient_org=stored_text(n.recipient_org),
            subscription_id=_optional_uuid(n.subscription_id),
            match_id=_optional_uuid(n.match_id),
            kind=stored_text(n.kind),
            payload=stored_json(n.payload),
            seq=seq,
            created_at=self._now,
        )
        if row.id in self._tables.notifications:
            return None  # ON CONFLICT (id) DO NOTHING
        self._tables.notifications[row.id] = row
        return _copy_notification(row)

    async def latest_notification_id(
        self, match_id: str, recipient_org: str, subscription_id: str | None
    ) -> str | None:
        self._check_open()
        match_key, subscription_key = _uuid(match_id), _optional_uuid(subscription_id)
        found = [
            n
            for n in self._tables.notifications.values()
            if n.match_id == match_key
            and n.recipient_org == recipient_org
            and n.subscription_id == subscription_key  # IS NOT DISTINCT FROM
        ]
        return max(found, key=lambda n: n.seq).id if found else None

    async def recipients_of(self, match_id: str) -> list[tuple[str, str | None]]:
        self._check_open()
        key = _uuid(match_id)
        found = {
            (n.recipient_org, n.subscription_id)
            for n in self._tables.notifications.values()
            if n.match_id == key
        }
        # ORDER BY 1, 2: NULLs last
        return sorted(found, key=lambda r: (r[0], r[1] is None, r[1] or ""))

    async def notifications(
        self,
        recipient_org: str,
        *,
        after_seq: int,
        limit: int,
        subscription_id: str | None = None,
    ) -> list[Notification]:
        self._check_open()
        subscription_key = _optional_uuid(subscription_id)
        found = [
            n
            for n in self._tables.notifications.values()
            if n.recipient_org == recipient_org
            and n.seq > after_seq
            and (subscription_key is None or n.subscription_id == subscription_key)
        ]
        found.sort(key=lambda n: n.seq)
        return [_copy_notification(n) for n in found[:limit]]

    # -- webhook deliveries ------------------------------------------------------------

    async def enqueue_delivery(
        self, notification_id: str, subscription_id: str, due: datetime
    ) -> None:
        self._check_open()
        key = _uuid(notification_id)
        delivery = StoredDelivery(_uuid(subscription_id), _utc(due))
        self._tables.deliveries.setdefault(key, delivery)  # ON CONFLICT DO NOTHING

    async def claim_due_deliveries(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        self._check_open()
        subscriptions = self._tables.subscriptions

        def sendable(d: StoredDelivery) -> bool:
            s = subscriptions.get(d.subscription_id)
            return s is not None and s.webhook_url is not None and s.webhook_disabled_at is None

        due = [
            (key, d)
            for key, d in self._tables.deliveries.items()
            if d.status == "pending" and d.next_attempt_at <= now and sendable(d)
        ]
        due.sort(key=lambda item: (item[1].next_attempt_at, uuid.UUID(item[0])))
        out = []
        for key, delivery in due[:limit]:
            delivery.next_attempt_at = _utc(lease_until)  # the lease
            note = self._tables.notifications.get(key)
            row = subscriptions[delivery.subscription_id]
            if note is not None:
                out.append(DueDelivery(_copy_notification(note), row.record(), delivery.attempts))
        return out

    async def record_attempt(self, attempt: DeliveryAttempt) -> None:
        self._check_open()
        a = attempt
        self._tables.attempts.append(
            DeliveryAttempt(
                _uuid(a.notification_id),
                _uuid(a.subscription_id),
                a.attempt,
                _utc(a.at),
                a.status_code,
                stored_text(a.error) if a.error is not None else None,
                float(a.duration_ms),
            )
        )

    async def delivered(self, notification_id: str, at: datetime) -> None:
        self._check_open()
        delivery = self._tables.deliveries.get(_uuid(notification_id))
        if delivery is None:
            return
        delivery.status, delivery.delivered_at = "delivered", _utc(at)
        delivery.attempts += 1
        row = self._tables.subscriptions.get(delivery.subscription_id)
        if row is not None:
            row.webhook_failures = 0

    async def failed(
        self, notification_id: str, retry_at: datetime, disable_after: int, at: datetime
    ) -> bool:
        self._check_open()
        delivery = self._tables.deliveries.get(_uuid(notification_id))
        if delivery is None:
            return False
        delivery.next_attempt_at = _utc(retry_at)
        delivery.attempts += 1
        row = self._tables.subscriptions.get(delivery.subscription_id)
        if row is None:
            return False
        row.webhook_failures += 1
        if row.webhook_failures >= disable_after and row.webhook_disabled_at is None:
            row.webhook_disabled_at = _utc(at)
        return row.webhook_disabled_at is not None

    async def enable_webhook(self, subscription_id: str, now: datetime) -> None:
        self._check_open()
        key = _uuid(subscription_id)
        row = self._tables.subscriptions.get(key)
        if row is not None:
            row.webhook_failures, row.webhook_disabled_at = 0, None
        for delivery in self._tables.deliveries.values():
            if delivery.subscription_id == key and delivery.status == "pending":
                delivery.next_attempt_at = _utc(now)

    async def delivery_attempts(self, subscription_id: str, limit: int) -> list[DeliveryAttempt]:
        self._check_open()
        key = _uuid(subscription_id)
        mine = [a for a in self._tables.attempts if a.subscription_id == key]
        return list(reversed(mine))[:limit]

    # -- reviews and audit -------------------------------------------------------------

    async def add_review(self, review: Review) -> None:
        self._check_open()
        if review.decision not in DECISIONS:
            raise asyncpg.CheckViolationError("reviews_decision_check")
        reason = review.override_reason
        self._tables.reviews.append(
            replace(
                review,
                match_id=_uuid(review.match_id),
                reviewer=stored_text(review.reviewer),
                org_id=stored_text(review.org_id),
                at=_utc(review.at),
                override_reason=stored_text(reason) if reason is not None else None,
            )
        )

    async def reviews(self, match_id: str) -> list[Review]:
        self._check_open()
        key = _uuid(match_id)
        return [r for r in self._tables.reviews if r.match_id == key]

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        self._check_open()
        for entry in entries:
            for text in vars(entry).values():
                if text is not None:
                    stored_text(text)
            self._tables.audit.append(StoredAudit(self._now, entry))

    async def emit(self, event: CloudEvent) -> None:
        self._check_open()
        enqueue(self._tables.outbox, event, self._repo.registry, self._repo.topic)
