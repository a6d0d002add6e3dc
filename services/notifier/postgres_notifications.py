"""The notifier's notifications, webhook deliveries, reviews and audit log in PostgreSQL: the
part of the transaction that records what was told, sent and decided (see postgres.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

import asyncpg

from services.common.audit import AuditEntry, append
from services.notifier.config import SCHEMA
from services.notifier.domain.model import Notification
from services.notifier.records import notification_of, subscription_of
from services.notifier.repository import DeliveryAttempt, DueDelivery, Review

NOTIFICATIONS_CHANNEL = "kinlink_notifier_notifications"
DELIVERIES_CHANNEL = "kinlink_notifier_deliveries"
S = f'"{SCHEMA}"'


class NotificationQueries:
    """Mixed into the PostgreSQL transaction, which provides the connection."""

    _conn: asyncpg.Connection

    # -- notifications -----------------------------------------------------------------

    async def add_notification(self, notification: Notification) -> Notification | None:
        n = notification
        row = await self._conn.fetchrow(
            f"INSERT INTO {S}.notifications (id, recipient_org, subscription_id, match_id, kind,"
            " payload) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING *",
            n.id,
            n.recipient_org,
            n.subscription_id,
            n.match_id,
            n.kind,
            n.payload,
        )
        if row is None:
            return None
        await self._conn.execute("SELECT pg_notify($1, $2)", NOTIFICATIONS_CHANNEL, n.recipient_org)
        return notification_of(row)

    async def latest_notification_id(
        self, match_id: str, recipient_org: str, subscription_id: str | None
    ) -> str | None:
        value = await self._conn.fetchval(
            f"SELECT id::text FROM {S}.notifications WHERE match_id = $1 AND recipient_org = $2"
            " AND subscription_id IS NOT DISTINCT FROM $3::uuid ORDER BY seq DESC LIMIT 1",
            match_id,
            recipient_org,
            subscription_id,
        )
        return str(value) if value is not None else None

    async def recipients_of(self, match_id: str) -> list[tuple[str, str | None]]:
        rows = await self._conn.fetch(
            f"SELECT DISTINCT recipient_org, subscription_id::text FROM {S}.notifications"
            " WHERE match_id = $1 ORDER BY 1, 2",
            match_id,
        )
        return [(r["recipient_org"], r["subscription_id"]) for r in rows]

    async def notifications(
        self,
        recipient_org: str,
        *,
        after_seq: int,
        limit: int,
        subscription_id: str | None = None,
    ) -> list[Notification]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {S}.notifications WHERE recipient_org = $1 AND seq > $2"
            " AND ($3::uuid IS NULL OR subscription_id = $3) ORDER BY seq LIMIT $4",
            recipient_org,
            after_seq,
            subscription_id,
            limit,
        )
        return [notification_of(r) for r in rows]

    # -- webhook deliveries ------------------------------------------------------------

    async def enqueue_delivery(
        self, notification_id: str, subscription_id: str, due: datetime
    ) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.webhook_deliveries (notification_id, subscription_id, status,"
            " next_attempt_at) VALUES ($1, $2, 'pending', $3) ON CONFLICT DO NOTHING",
            notification_id,
            subscription_id,
            due,
        )
        await self._conn.execute("SELECT pg_notify($1, '')", DELIVERIES_CHANNEL)

    async def claim_due_deliveries(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        rows = await self._conn.fetch(
            f"UPDATE {S}.webhook_deliveries d SET next_attempt_at = $2"
            f" FROM (SELECT d2.notification_id FROM {S}.webhook_deliveries d2"
            f" JOIN {S}.subscriptions s ON s.id = d2.subscription_id"
            " WHERE d2.status = 'pending' AND d2.next_attempt_at <= $1"
            " AND s.webhook_url IS NOT NULL AND s.webhook_disabled_at IS NULL"
            " ORDER BY d2.next_attempt_at LIMIT $3 FOR UPDATE OF d2 SKIP LOCKED) due"
            " WHERE d.notification_id = due.notification_id"
            " RETURNING d.notification_id, d.subscription_id, d.attempts",
            now,
            lease_until,
            limit,
        )
        out = []
        for row in rows:
            note = await self._conn.fetchrow(
                f"SELECT * FROM {S}.notifications WHERE id = $1", row["notification_id"]
            )
            subscription = await self._conn.fetchrow(
                f"SELECT * FROM {S}.subscriptions WHERE id = $1", row["subscription_id"]
            )
            if note is not None and subscription is not None:
                out.append(
                    DueDelivery(
                        notification_of(note), subscription_of(subscription), row["attempts"]
                    )
                )
        return out

    async def record_attempt(self, attempt: DeliveryAttempt) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.delivery_attempts (notification_id, subscription_id, attempt, at,"
            " status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            *asdict(attempt).values(),
        )

    async def delivered(self, notification_id: str, at: datetime) -> None:
        subscription_id = await self._conn.fetchval(
            f"UPDATE {S}.webhook_deliveries SET status = 'delivered', delivered_at = $2,"
            " attempts = attempts + 1 WHERE notification_id = $1 RETURNING subscription_id",
            notification_id,
            at,
        )
        await self._conn.execute(
            f"UPDATE {S}.subscriptions SET webhook_failures = 0 WHERE id = $1", subscription_id
        )

    async def failed(
        self, notification_id: str, retry_at: datetime, disable_after: int, at: datetime
    ) -> bool:
        subscription_id = await self._conn.fetchval(
            f"UPDATE {S}.webhook_deliveries SET next_attempt_at = $2, attempts = attempts + 1"
            " WHERE notification_id = $1 RETURNING subscription_id",
            notification_id,
            retry_at,
        )
        disabled = await self._conn.fetchval(
            f"UPDATE {S}.subscriptions SET webhook_failures = webhook_failures + 1,"
            " webhook_disabled_at = CASE WHEN webhook_failures + 1 >= $2"
            " THEN COALESCE(webhook_disabled_at, $3) ELSE webhook_disabled_at END"
            " WHERE id = $1 RETURNING webhook_disabled_at IS NOT NULL",
            subscription_id,
            disable_after,
            at,
        )
        return bool(disabled)

    async def enable_webhook(self, subscription_id: str, now: datetime) -> None:
        await self._conn.execute(
            f"UPDATE {S}.subscriptions SET webhook_failures = 0, webhook_disabled_at = NULL"
            " WHERE id = $1",
            subscription_id,
        )
        await self._conn.execute(
            f"UPDATE {S}.webhook_deliveries SET next_attempt_at = $2"
            " WHERE subscription_id = $1 AND status = 'pending'",
            subscription_id,
            now,
        )
        await self._conn.execute("SELECT pg_notify($1, '')", DELIVERIES_CHANNEL)

    async def delivery_attempts(self, subscription_id: str, limit: int) -> list[DeliveryAttempt]:
        rows = await self._conn.fetch(
            f"SELECT notification_id::text, subscription_id::text, attempt, at, status_code,"
            f" error, duration_ms FROM {S}.delivery_attempts WHERE subscription_id = $1"
            " ORDER BY id DESC LIMIT $2",
            subscription_id,
            limit,
        )
        return [DeliveryAttempt(*r.values()) for r in rows]

    # -- reviews and audit -------------------------------------------------------------

    async def add_review(self, review: Review) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.reviews (match_id, revision, decision, reviewer, org_id, at,"
            " override_reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            *asdict(review).values(),
        )

    async def reviews(self, match_id: str) -> list[Review]:
        rows = await self._conn.fetch(
            f"SELECT match_id::text, revision, decision, reviewer, org_id, at, override_reason"
            f" FROM {S}.reviews WHERE match_id = $1 ORDER BY id",
            match_id,
        )
        return [Review(*r.values()) for r in rows]

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        await append(self._conn, SCHEMA, entries)
