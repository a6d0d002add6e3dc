"""Intake's read use cases: one record, an alert's revisions, a page of alerts, the audit log.

Every read is authorised by the caller's organisation kind and scope, and every read of a
child's data is audited in the same transaction. `IntakeHandlers` (the writes) builds on these
and shares their steps (`_authorise`, `_audit`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.common.audit import AuditEntry
from services.common.auth import Caller
from services.common.errors import InvalidQuery, NotAllowed, NotFound
from services.common.outcomes import Effect, Outcome, RecordRef
from services.intake.authz import Scope, allowed_scope, may_touch
from services.intake.repository import AuditQuery, IntakeRepository, IntakeTransaction
from services.intake.views import (
    alert_view,
    audit_view,
    decode_cursor,
    encode_cursor,
    record_view,
    revision_view,
)


class IntakeReads:
    _repository: IntakeRepository

    async def read(self, caller: Caller, record_type: str, record_id: str) -> Outcome:
        scope = self._authorise(caller, f"{record_type}.read")
        record_id = uuid_or_not_found(record_id)
        async with self._repository.transaction() as tx:
            stored = await tx.get_record(record_type, record_id)
            if stored is None:
                raise NotFound(f"No {record_type} with this id.")
            if not may_touch(caller.principal, scope, stored.org_id, stored.status):
                raise NotAllowed(f"This {record_type} belongs to another organisation.")
            await self._audit(tx, caller, f"{record_type}.read", record_type, [record_id])
        view = alert_view(stored) if record_type == "alert" else record_view(stored)
        return Outcome(Effect.READ, view, RecordRef(record_type, record_id))

    async def alert_history(self, caller: Caller, alert_id: str) -> Outcome:
        """Every revision of an alert, for whoever may read the alert (audited as a read)."""
        scope = self._authorise(caller, "alert.read")
        alert_id = uuid_or_not_found(alert_id)
        async with self._repository.transaction() as tx:
            stored = await tx.get_record("alert", alert_id)
            if stored is None:
                raise NotFound("No alert with this id.")
            if not may_touch(caller.principal, scope, stored.org_id, stored.status):
                raise NotAllowed("This alert belongs to another authority and is not active.")
            revisions = await tx.alert_history(alert_id)
            await self._audit(tx, caller, "alert.history.read", "alert", [alert_id])
        return Outcome(Effect.READ, {"items": [revision_view(r) for r in revisions]})

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
        after = _alert_cursor(cursor) if cursor else None
        org = caller.principal.org if scope is not Scope.ANY else None
        async with self._repository.transaction() as tx:
            rows = await tx.list_alerts(
                or_active=scope is Scope.ACTIVE,
                org_id=org,
                status=status,
                updated_since=updated_since,
                after=after,
                limit=limit + 1,
            )
            page = rows[:limit]
            await self._audit(tx, caller, "alert.read", "alert", [r.id for r in page])
        next_cursor = None
        if len(rows) > limit and page[-1].updated_at is not None:
            next_cursor = encode_cursor([page[-1].updated_at.isoformat(), page[-1].id])
        return Outcome(
            Effect.READ, {"items": [alert_view(r) for r in page], "next_cursor": next_cursor}
        )

    async def read_audit(
        self, caller: Caller, query: AuditQuery, *, cursor: str | None, limit: int
    ) -> Outcome:
        self._authorise(caller, "audit.read")
        after_id = decode_cursor(cursor) if cursor else 0
        if not isinstance(after_id, int) or not 0 <= after_id < 2**63:
            raise InvalidQuery("The cursor is not one this service issued.")
        async with self._repository.transaction() as tx:
            rows = await tx.list_audit(query, after_id=after_id, limit=limit + 1)
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
        return Outcome(
            Effect.READ, {"items": [audit_view(r) for r in page], "next_cursor": next_cursor}
        )

    # -- shared steps ---------------------------------------------------------------------

    def _authorise(self, caller: Caller, action: str) -> Scope:
        scope = allowed_scope(caller.principal, action)
        if scope is None:
            raise NotAllowed(f"A {caller.principal.org_kind} token may not {action}.")
        return scope

    async def _audit(
        self,
        tx: IntakeTransaction,
        caller: Caller,
        action: str,
        record_type: str,
        record_ids: Sequence[str],
    ) -> None:
        await tx.append_audit([AuditEntry.by(caller, action, record_type, r) for r in record_ids])


def _alert_cursor(cursor: str) -> tuple[datetime, str]:
    raw = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(raw[0]), str(uuid.UUID(raw[1]))
    except (TypeError, ValueError, IndexError, KeyError):
        raise InvalidQuery("The cursor is not one this service issued.") from None


def uuid_or_not_found(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise NotFound("No record with this id.") from None
