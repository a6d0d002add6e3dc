"""The notifier's store in PostgreSQL (schema `notifier`): plain SQL behind NotifierTransaction.

New notifications and webhook deliveries are announced with NOTIFY at commit, so SSE streams
and the webhook deliverer wake at once instead of polling.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from services.common.outcomes import StoredResponse
from services.common.store import PostgresStore, PostgresTransaction
from services.notifier.config import SCHEMA
from services.notifier.domain.model import (
    AlertContext,
    MatchState,
    ObservationContext,
    Seen,
    Subscription,
)
from services.notifier.postgres_erasure import ErasureSql
from services.notifier.postgres_notifications import NotificationQueries
from services.notifier.records import match_of, subscription_of
from services.notifier.repository import (
    QueueItem,
)

_ROUTING_LOCK = 0x6E6F74696679  # "notify"
S = f'"{SCHEMA}"'


class _PostgresTransaction(ErasureSql, NotificationQueries, PostgresTransaction):
    schema = SCHEMA

    async def lock_routing(self) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock($1)", _ROUTING_LOCK)

    # -- idempotency -------------------------------------------------------------------

    async def lock_idempotency_key(self, org_id: str, key: str) -> None:
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"notifier:{org_id}:{key}"
        )

    async def stored_response(self, org_id: str, key: str) -> StoredResponse | None:
        row = await self._conn.fetchrow(
            f"SELECT request_hash, effect, body, record_type, record_id FROM {S}.idempotency_keys"
            " WHERE org_id = $1 AND key = $2",
            org_id,
            key,
        )
        return StoredResponse(*row.values()) if row is not None else None

    async def store_response(self, org_id: str, key: str, response: StoredResponse) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.idempotency_keys (org_id, key, request_hash, effect, body,"
            " record_type, record_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            org_id,
            key,
            *asdict(response).values(),
        )

    # -- subscriptions -----------------------------------------------------------------

    async def save_subscription(self, subscription: Subscription) -> Subscription:
        from services.notifier.domain.filters import filters_to_json

        hook = subscription.webhook
        row = await self._conn.fetchrow(
            f"INSERT INTO {S}.subscriptions (id, org_id, org_kind, created_by, name, filters,"
            " escalation_contact, webhook_url, webhook_secret, webhook_failures,"
            " webhook_disabled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, filters = EXCLUDED.filters,"
            " escalation_contact = EXCLUDED.escalation_contact,"
            " webhook_url = EXCLUDED.webhook_url, webhook_secret = EXCLUDED.webhook_secret,"
            " webhook_failures = EXCLUDED.webhook_failures,"
            " webhook_disabled_at = EXCLUDED.webhook_disabled_at, updated_at = clock_timestamp()"
            " RETURNING *",
            subscription.id,
            subscription.org_id,
            subscription.org_kind,
            subscription.created_by,
            subscription.name,
            filters_to_json(subscription.filters),
            subscription.escalation_contact,
            hook.url if hook else None,
            hook.secret if hook else None,
            hook.failures if hook else 0,
            hook.disabled_at if hook else None,
        )
        return subscription_of(row)

    async def subscription(self, subscription_id: str) -> Subscription | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {S}.subscriptions WHERE id = $1", subscription_id
        )
        return subscription_of(row) if row is not None else None

    async def subscriptions_of(self, org_id: str) -> list[Subscription]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {S}.subscriptions WHERE org_id = $1 ORDER BY created_at, id", org_id
        )
        return [subscription_of(r) for r in rows]

    async def all_subscriptions(self) -> list[Subscription]:
        rows = await self._conn.fetch(f"SELECT * FROM {S}.subscriptions ORDER BY created_at, id")
        return [subscription_of(r) for r in rows]

    async def delete_subscription(self, subscription_id: str) -> None:
        await self._conn.execute(
            f"DELETE FROM {S}.webhook_deliveries WHERE subscription_id = $1 AND status = 'pending'",
            subscription_id,
        )
        await self._conn.execute(f"DELETE FROM {S}.subscriptions WHERE id = $1", subscription_id)

    # -- context -----------------------------------------------------------------------

    async def save_alert_context(self, alert: AlertContext) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.alert_context (alert_id, authority_id, country, category, status,"
            " last_seen) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (alert_id) DO UPDATE SET"
            " authority_id = EXCLUDED.authority_id, country = EXCLUDED.country,"
            " category = EXCLUDED.category, status = EXCLUDED.status,"
            " last_seen = EXCLUDED.last_seen, updated_at = now()"
            " WHERE alert_context.erased_at IS NULL",
            alert.alert_id,
            alert.authority_id,
            alert.country,
            alert.category,
            alert.status,
            alert.last_seen.to_json(),
        )

    async def alert_context(self, alert_id: str) -> AlertContext | None:
        row = await self._conn.fetchrow(
            f"SELECT alert_id::text, authority_id, country, category, status, last_seen"
            f" FROM {S}.alert_context WHERE alert_id = $1",
            alert_id,
        )
        if row is None:
            return None
        return AlertContext(
            alert_id=row["alert_id"],
            authority_id=row["authority_id"],
            country=row["country"],
            category=row["category"],
            status=row["status"],
            last_seen=Seen.from_json(row["last_seen"]),
        )

    async def save_observation_context(self, observation: ObservationContext) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.observation_context (obs_type, obs_id, org_id, seen)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (obs_type, obs_id) DO NOTHING",
            observation.obs_type,
            observation.obs_id,
            observation.org_id,
            observation.seen.to_json(),
        )

    async def observation_context(self, obs_type: str, obs_id: str) -> ObservationContext | None:
        row = await self._conn.fetchrow(
            f"SELECT org_id, seen FROM {S}.observation_context WHERE obs_type = $1 AND obs_id = $2",
            obs_type,
            obs_id,
        )
        if row is None:
            return None
        return ObservationContext(obs_type, obs_id, row["org_id"], Seen.from_json(row["seen"]))

    # -- matches -----------------------------------------------------------------------

    async def match(self, match_id: str) -> MatchState | None:
        row = await self._conn.fetchrow(
            f"SELECT * FROM {S}.matches WHERE match_id = $1 FOR UPDATE", match_id
        )
        return match_of(row) if row is not None else None

    async def save_match(self, match: MatchState) -> None:
        values = asdict(match)
        columns = ", ".join(values)
        params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in values if c != "match_id")
        await self._conn.execute(
            f"INSERT INTO {S}.matches ({columns}) VALUES ({params})"
            f" ON CONFLICT (match_id) DO UPDATE SET {updates}",
            *values.values(),
        )

    async def unrouted_matches(
        self, *, alert_id: str | None = None, observation: tuple[str, str] | None = None
    ) -> list[MatchState]:
        obs_type, obs_id = observation if observation else (None, None)
        rows = await self._conn.fetch(
            f"SELECT * FROM {S}.matches WHERE routed_revision < revision"
            " AND (($1::uuid IS NOT NULL AND alert_id = $1)"
            " OR ($2::text IS NOT NULL AND obs_type = $2 AND obs_id = $3::uuid))"
            " ORDER BY match_id FOR UPDATE",
            alert_id,
            obs_type,
            obs_id,
        )
        return [match_of(r) for r in rows]

    async def overdue_matches(self, proposed_before: datetime, limit: int) -> list[MatchState]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {S}.matches WHERE status = 'proposed' AND decision IS NULL"
            " AND escalated_at IS NULL AND first_proposed_at <= $1"
            " ORDER BY first_proposed_at, match_id LIMIT $2 FOR UPDATE SKIP LOCKED",
            proposed_before,
            limit,
        )
        return [match_of(r) for r in rows]

    async def queue(self, org_id: str, *, open_only: bool, limit: int) -> list[QueueItem]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {S}.matches WHERE match_id IN"
            f" (SELECT match_id FROM {S}.notifications WHERE recipient_org = $1)"
            " AND (NOT $2 OR (status = 'proposed' AND decision IS NULL))"
            " ORDER BY (escalated_at IS NOT NULL AND decision IS NULL) DESC,"
            " (status = 'proposed' AND decision IS NULL) DESC, COALESCE(score, 0) DESC,"
            " first_proposed_at, match_id LIMIT $3",
            org_id,
            open_only,
            limit,
        )
        items = []
        for row in rows:
            match = match_of(row)
            alert = await self.alert_context(match.alert_id)
            observation = await self.observation_context(match.obs_type, match.obs_id)
            items.append(QueueItem(match, alert, observation))
        return items


class PostgresNotifierRepository(PostgresStore[_PostgresTransaction]):
    """The notifier's tables in PostgreSQL."""

    transaction_class = _PostgresTransaction
