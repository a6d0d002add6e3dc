"""Intake's use cases: authorise, validate, then store record + audit entry + event at once.

Every write runs in one PostgreSQL transaction that inserts the record, its audit entry and its
CloudEvent in the outbox (and the response under the Idempotency-Key, if one was sent): the
client's 201 means all of it is durable. Every read of a child's data is audited too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.common.auth import Principal
from services.common.envelope import format_time, new_event
from services.common.http_problems import Problem
from services.common.outbox import enqueue
from services.common.schema_registry import SchemaRegistry
from services.common.topics import topic_for_type
from services.intake import repository as repo
from services.intake import validation as v
from services.intake.authz import Scope, allowed_scope, may_touch
from services.intake.config import SCHEMA, SOURCE_PREFIX, IntakeSettings
from services.intake.views import alert_view, decode_cursor, encode_cursor, record_view

PUBLISHED = "org.kinlink.alert.published.v1"
UPDATED = "org.kinlink.alert.updated.v1"
RESOLVED = "org.kinlink.alert.resolved.v1"
RECORDED = "org.kinlink.registration.recorded.v1"
REPORTED = "org.kinlink.sighting.reported.v1"
PATHS = {"alert": "/v1/alerts/", "registration": "/v1/registrations/", "sighting": "/v1/sightings/"}


@dataclass(frozen=True)
class Caller:
    principal: Principal
    request_id: str


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    request_hash: str  # of method, path and body: a retry must repeat all three


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    location: str | None = None


class IntakeService:
    def __init__(
        self,
        pool: Any,
        registry: SchemaRegistry,
        settings: IntakeSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._registry = registry
        self._settings = settings
        self._clock = clock
        self._skew = timedelta(seconds=settings.clock_skew_seconds)

    # -- writes ---------------------------------------------------------------------------

    async def publish_alert(
        self, caller: Caller, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        self._authorise(caller, "alert.create")
        self._validate(v.ALERT_CREATE, body)
        p = caller.principal
        alert_id = str(uuid.uuid4())
        data = {
            "alert_id": alert_id,
            "issuing_authority": {"id": p.org, "country": p.country},
            "status": "active",
            **body,
        }

        async def write(conn: asyncpg.Connection) -> Outcome:
            row = await repo.insert_alert(conn, alert_id, p.org, data)
            await self._audit(conn, caller, "alert.create", "alert", [alert_id])
            await self._emit(conn, caller, PUBLISHED, alert_id, data)
            return Outcome(201, alert_view(row), PATHS["alert"] + alert_id)

        return await self._write(caller, idem, write)

    async def update_alert(
        self, caller: Caller, alert_id: str, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        scope = self._authorise(caller, "alert.update")
        self._validate(v.ALERT_UPDATE, body)
        changes = {k: val for k, val in body.items() if k != "reason"}
        if not changes:
            raise Problem(422, "Name at least one field to change.", slug="no-changes")

        async def write(conn: asyncpg.Connection) -> Outcome:
            row = await self._alert_for_change(conn, caller, scope, alert_id, "updated")
            data = {k: val for k, val in {**row["data"], **changes}.items() if val is not None}
            saved = await repo.save_alert(conn, alert_id, "active", data, None)
            event = {"alert_id": alert_id, "at": format_time(self._clock()), "changes": changes}
            if "reason" in body:
                event["reason"] = body["reason"]
            await self._audit(conn, caller, "alert.update", "alert", [alert_id])
            await self._emit(conn, caller, UPDATED, alert_id, event)
            return Outcome(200, alert_view(saved), PATHS["alert"] + alert_id)

        return await self._write(caller, idem, write)

    async def resolve_alert(
        self, caller: Caller, alert_id: str, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        scope = self._authorise(caller, "alert.resolve")
        self._validate(v.ALERT_RESOLVE, body)

        async def write(conn: asyncpg.Connection) -> Outcome:
            row = await self._alert_for_change(conn, caller, scope, alert_id, "resolved")
            event = {"alert_id": alert_id, **body, "at": format_time(self._clock())}
            saved = await repo.save_alert(conn, alert_id, "resolved", row["data"], event)
            await self._audit(conn, caller, "alert.resolve", "alert", [alert_id])
            await self._emit(conn, caller, RESOLVED, alert_id, event)
            return Outcome(200, alert_view(saved), PATHS["alert"] + alert_id)

        return await self._write(caller, idem, write)

    async def record_registration(
        self, caller: Caller, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        self._authorise(caller, "registration.create")
        self._validate(v.REGISTRATION_CREATE, body)
        p = caller.principal
        centre = {"id": p.org, "country": p.country}
        return await self._create(caller, idem, "registration", RECORDED, centre, body)

    async def report_sighting(
        self, caller: Caller, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        self._authorise(caller, "sighting.create")
        self._validate(v.SIGHTING_CREATE, body)
        p = caller.principal
        reporter = {"id": p.org, "kind": p.org_kind, "country": p.country}
        return await self._create(caller, idem, "sighting", REPORTED, reporter, body)

    async def _create(
        self,
        caller: Caller,
        idem: IdempotencyKey | None,
        record_type: str,
        ce_type: str,
        organisation: dict[str, str],
        body: dict[str, Any],
    ) -> Outcome:
        record_id = str(uuid.uuid4())
        org_field = "centre" if record_type == "registration" else "reporter"
        data = {f"{record_type}_id": record_id, org_field: organisation, **body}

        async def write(conn: asyncpg.Connection) -> Outcome:
            row = await repo.insert_record(conn, record_type, record_id, caller.principal.org, data)
            await self._audit(conn, caller, f"{record_type}.create", record_type, [record_id])
            await self._emit(conn, caller, ce_type, record_id, data)
            return Outcome(201, record_view(row), PATHS[record_type] + record_id)

        return await self._write(caller, idem, write)

    # -- reads ----------------------------------------------------------------------------

    async def read(self, caller: Caller, record_type: str, record_id: str) -> Outcome:
        scope = self._authorise(caller, f"{record_type}.read")
        async with self._pool.acquire() as conn, conn.transaction():
            record_id = _uuid_or_404(record_id)
            row = await repo.get_record(conn, record_type, record_id)
            if row is None:
                raise Problem(404, f"No {record_type} with this id.")
            if not may_touch(caller.principal, scope, row["org_id"]):
                raise Problem(403, f"This {record_type} belongs to another organisation.")
            await self._audit(conn, caller, f"{record_type}.read", record_type, [record_id])
        view = alert_view(row) if record_type == "alert" else record_view(row)
        return Outcome(200, view)

    async def list_alerts(
        self,
        caller: Caller,
        *,
        status: str | None,
        updated_since: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Outcome:
        scope = self._authorise(caller, "alert.list")
        after: tuple[datetime, str] | None = None
        if cursor:
            raw = decode_cursor(cursor)
            try:
                after = (datetime.fromisoformat(raw[0]), str(uuid.UUID(raw[1])))
            except (TypeError, ValueError, IndexError, KeyError):
                raise Problem(400, "The cursor is not one this service issued.") from None
        org = caller.principal.org if scope is Scope.OWN else None
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await repo.list_alerts(
                conn,
                org_id=org,
                status=status,
                updated_since=updated_since,
                after=after,
                limit=limit + 1,
            )
            page = rows[:limit]
            ids = [str(row["id"]) for row in page]
            await self._audit(conn, caller, "alert.read", "alert", ids)
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            next_cursor = encode_cursor([last["updated_at"].isoformat(), str(last["id"])])
        return Outcome(200, {"items": [alert_view(r) for r in page], "next_cursor": next_cursor})

    async def read_audit(
        self,
        caller: Caller,
        *,
        org_id: str | None,
        record_id: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Outcome:
        self._authorise(caller, "audit.read")
        after_id = decode_cursor(cursor) if cursor else 0
        if not isinstance(after_id, int) or not 0 <= after_id < 2**63:
            raise Problem(400, "The cursor is not one this service issued.")
        async with self._pool.acquire() as conn:
            rows = await repo.list_audit(
                conn,
                org_id=org_id,
                record_id=record_id,
                action=action,
                since=since,
                until=until,
                after_id=after_id,
                limit=limit + 1,
            )
        page = rows[:limit]
        items = [{**dict(row), "at": format_time(row["at"])} for row in page]
        next_cursor = encode_cursor(page[-1]["id"]) if len(rows) > limit else None
        return Outcome(200, {"items": items, "next_cursor": next_cursor})

    # -- shared steps ---------------------------------------------------------------------

    def _authorise(self, caller: Caller, action: str) -> Scope:
        scope = allowed_scope(caller.principal, action)
        if scope is None:
            raise Problem(403, f"A {caller.principal.org_kind} token may not {action}.")
        return scope

    def _validate(self, schema_id: str, body: Any) -> None:
        v.check_body(self._registry, schema_id, body, self._clock(), self._skew)

    async def _alert_for_change(
        self, conn: asyncpg.Connection, caller: Caller, scope: Scope, alert_id: str, verb: str
    ) -> asyncpg.Record:
        row = await repo.get_record(conn, "alert", _uuid_or_404(alert_id), for_update=True)
        if row is None:
            raise Problem(404, "No alert with this id.")
        if not may_touch(caller.principal, scope, row["org_id"]):
            raise Problem(403, "This alert belongs to another authority.")
        if row["status"] == "resolved":
            raise Problem(
                409, f"The alert is resolved and cannot be {verb} again.", slug="alert-resolved"
            )
        return row

    async def _write(
        self,
        caller: Caller,
        idem: IdempotencyKey | None,
        write: Callable[[asyncpg.Connection], Awaitable[Outcome]],
    ) -> Outcome:
        org = caller.principal.org
        async with self._pool.acquire() as conn, conn.transaction():
            if idem is not None:
                await repo.lock_idempotency_key(conn, org, idem.key)
                stored = await repo.stored_response(conn, org, idem.key)
                if stored is not None:
                    if stored.request_hash != idem.request_hash:
                        raise Problem(
                            422,
                            "This Idempotency-Key was already used with another request.",
                            slug="idempotency-key-reused",
                        )
                    return Outcome(stored.status, stored.body, stored.location)
            outcome = await write(conn)
            if idem is not None:
                await repo.store_response(
                    conn,
                    org,
                    idem.key,
                    repo.StoredResponse(
                        idem.request_hash, outcome.status, outcome.body, outcome.location
                    ),
                )
            return outcome

    async def _audit(
        self,
        conn: asyncpg.Connection,
        caller: Caller,
        action: str,
        record_type: str,
        record_ids: Sequence[str],
    ) -> None:
        p = caller.principal
        await repo.append_audit(
            conn,
            [
                repo.AuditEntry(
                    p.org, p.org_kind, p.subject, action, record_type, rid, caller.request_id
                )
                for rid in record_ids
            ],
        )

    async def _emit(
        self, conn: asyncpg.Connection, caller: Caller, ce_type: str, subject: str, data: Any
    ) -> None:
        # enqueue validates the event: a bug fails this request rather than the outbox later.
        event = new_event(ce_type, SOURCE_PREFIX + caller.principal.org, subject, data)
        topic = self._settings.common.topic(topic_for_type(ce_type))
        await enqueue(conn, SCHEMA, event, topic, registry=self._registry)


def _uuid_or_404(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise Problem(404, "No record with this id.") from None
