"""Intake's use cases: authorise, validate, then store record + audit entry + event at once.

Every write runs in one transaction of the store that inserts the record, its audit entry and
its CloudEvent (the outbox), and the outcome under the Idempotency-Key if one was sent: an
accepted request means all of it is durable. The reads, each audited too, are `reads`.
Refusals are domain errors (services.common.errors); the HTTP adapter renders them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.auth import Caller
from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    REGISTRATION_RECORDED,
    SIGHTING_REPORTED,
)
from services.common.envelope import format_time, new_event
from services.common.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.common.outcomes import Effect, IdempotencyKey, Outcome, RecordRef, StoredResponse
from services.common.schema_registry import SchemaRegistry
from services.intake import validation as v
from services.intake.authz import Scope, may_touch
from services.intake.config import SOURCE_PREFIX, IntakeSettings
from services.intake.reads import IntakeReads, uuid_or_not_found
from services.intake.repository import (
    IntakeRepository,
    IntakeTransaction,
    StoredRecord,
)
from services.intake.views import (
    alert_view,
    record_view,
)

Write = Callable[[IntakeTransaction], Awaitable[Outcome]]
_ALERT_EVENTS = frozenset({ALERT_PUBLISHED, ALERT_UPDATED, ALERT_RESOLVED})


class IntakeHandlers(IntakeReads):
    def __init__(
        self,
        repository: IntakeRepository,
        registry: SchemaRegistry,
        settings: IntakeSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repository = repository
        self._registry = registry
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
        issuer = {"id": p.org, "country": p.country}
        data = {"alert_id": alert_id, "issuing_authority": issuer, "status": "active", **body}

        async def write(tx: IntakeTransaction) -> Outcome:
            stored = await tx.insert_alert(alert_id, p.org, data)
            await self._audit(tx, caller, "alert.create", "alert", [alert_id])
            await self._emit(tx, caller, ALERT_PUBLISHED, alert_id, data)
            return Outcome(Effect.CREATED, alert_view(stored), RecordRef("alert", alert_id))

        return await self._write(caller, idem, write)

    async def update_alert(
        self, caller: Caller, alert_id: str, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        scope = self._authorise(caller, "alert.update")
        self._validate(v.ALERT_UPDATE, body)
        changes = {k: val for k, val in body.items() if k != "reason"}
        if not changes:
            raise InvalidInput("Name at least one field to change.", code="no-changes")

        async def write(tx: IntakeTransaction) -> Outcome:
            current = await self._alert_for_change(tx, caller, scope, alert_id, "updated")
            merged = {**current.data, **changes}
            data = {k: val for k, val in merged.items() if val is not None}
            saved = await tx.save_alert(current.id, "active", data, None)
            event = {"alert_id": current.id, "at": format_time(self._clock()), "changes": changes}
            if "reason" in body:
                event["reason"] = body["reason"]
            await self._audit(tx, caller, "alert.update", "alert", [current.id])
            await self._emit(tx, caller, ALERT_UPDATED, current.id, event)
            return Outcome(Effect.CHANGED, alert_view(saved), RecordRef("alert", current.id))

        return await self._write(caller, idem, write)

    async def resolve_alert(
        self, caller: Caller, alert_id: str, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        scope = self._authorise(caller, "alert.resolve")
        self._validate(v.ALERT_RESOLVE, body)

        async def write(tx: IntakeTransaction) -> Outcome:
            current = await self._alert_for_change(tx, caller, scope, alert_id, "resolved")
            event = {"alert_id": current.id, **body, "at": format_time(self._clock())}
            saved = await tx.save_alert(current.id, "resolved", current.data, event)
            await self._audit(tx, caller, "alert.resolve", "alert", [current.id])
            await self._emit(tx, caller, ALERT_RESOLVED, current.id, event)
            return Outcome(Effect.CHANGED, alert_view(saved), RecordRef("alert", current.id))

        return await self._write(caller, idem, write)

    async def record_registration(
        self, caller: Caller, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        self._authorise(caller, "registration.create")
        self._validate(v.REGISTRATION_CREATE, body)
        p = caller.principal
        centre = {"id": p.org, "country": p.country}
        return await self._create(
            caller, idem, "registration", REGISTRATION_RECORDED, {"centre": centre}, body
        )

    async def report_sighting(
        self, caller: Caller, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        self._authorise(caller, "sighting.create")
        self._validate(v.SIGHTING_CREATE, body)
        p = caller.principal
        reporter = {"id": p.org, "kind": p.org_kind, "country": p.country}
        return await self._create(
            caller, idem, "sighting", SIGHTING_REPORTED, {"reporter": reporter}, body
        )

    async def _create(
        self,
        caller: Caller,
        idem: IdempotencyKey | None,
        record_type: str,
        ce_type: str,
        organisation: dict[str, Any],
        body: dict[str, Any],
    ) -> Outcome:
        record_id = str(uuid.uuid4())
        data = {f"{record_type}_id": record_id, **organisation, **body}

        async def write(tx: IntakeTransaction) -> Outcome:
            stored = await tx.insert_record(record_type, record_id, caller.principal.org, data)
            await self._audit(tx, caller, f"{record_type}.create", record_type, [record_id])
            await self._emit(tx, caller, ce_type, record_id, data)
            return Outcome(Effect.CREATED, record_view(stored), RecordRef(record_type, record_id))

        return await self._write(caller, idem, write)

    # -- shared steps ---------------------------------------------------------------------

    def _validate(self, schema_id: str, body: Any) -> None:
        v.check_body(self._registry, schema_id, body, self._clock(), self._skew)

    async def _alert_for_change(
        self, tx: IntakeTransaction, caller: Caller, scope: Scope, alert_id: str, verb: str
    ) -> StoredRecord:
        stored = await tx.get_record("alert", uuid_or_not_found(alert_id), for_update=True)
        if stored is None:
            raise NotFound("No alert with this id.")
        if not may_touch(caller.principal, scope, stored.org_id):
            raise NotAllowed("This alert belongs to another authority.")
        if stored.status == "resolved":
            raise Conflict(
                f"The alert is resolved and cannot be {verb} again.", code="alert-resolved"
            )
        return stored

    async def _write(self, caller: Caller, idem: IdempotencyKey | None, write: Write) -> Outcome:
        org = caller.principal.org
        async with self._repository.transaction() as tx:
            if idem is not None:
                await tx.lock_idempotency_key(org, idem.key)
                stored = await tx.stored_response(org, idem.key)
                if stored is not None:
                    return stored.replay(idem)
            outcome = await write(tx)
            if idem is not None:
                await tx.store_response(org, idem.key, StoredResponse.of(idem, outcome))
            return outcome

    async def _emit(
        self, tx: IntakeTransaction, caller: Caller, ce_type: str, subject: str, data: Any
    ) -> None:
        # The store validates the event: a bug fails this request rather than the outbox later.
        event = new_event(ce_type, SOURCE_PREFIX + caller.principal.org, subject, data)
        await tx.emit(event)
        if ce_type in _ALERT_EVENTS:
            await tx.append_alert_history(subject, caller.principal.org, event)
