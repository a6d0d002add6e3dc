"""The issuing authority's side of retention: read an alert's review state, extend it with a
reason.

Extending restarts the category's review period from now (SIS Art. 53(4)); a new warning will
be sent before the new date. Only the issuer may extend (the grant of `alert.update`), only an
active, unerased alert, and the reason is kept in the audit log, which is the record of why
Kinlink still holds the child's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from services.common.audit import AuditEntry
from services.common.auth import Caller
from services.common.envelope import format_time
from services.common.errors import Conflict, NotAllowed, NotFound
from services.common.outcomes import Effect, IdempotencyKey, Outcome, RecordRef, StoredResponse
from services.common.schema_registry import SchemaRegistry
from services.intake.authz import allowed_scope, may_touch
from services.intake.retention.policy import AlertRetention, RetentionPolicy
from services.intake.retention.store import RetentionStore, RetentionTransaction
from services.intake.validation import HTTP_SCHEMA_BASE

ALERT_EXTEND = HTTP_SCHEMA_BASE + "alert.extend.v1.json"


def review_view(alert: AlertRetention, policy: RetentionPolicy) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "status": alert.status,
        "category": alert.category,
        "review_due_at": format_time(alert.review_due_at),
        "warning_from": format_time(alert.review_due_at - policy.warning),
        "warned": alert.review_warned_for == alert.review_due_at,
        "extensions": alert.extensions,
        "erased": alert.erased_at is not None,
    }


class ReviewHandlers:
    def __init__(
        self,
        store: RetentionStore,
        registry: SchemaRegistry,
        policy: RetentionPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._registry = registry
        self._policy = policy
        self._clock = clock

    async def review(self, caller: Caller, alert_id: str) -> Outcome:
        async with self._store.transaction() as tx:
            alert = await self._issuers_alert(tx, caller, alert_id, for_update=False)
            await tx.append_audit([AuditEntry.by(caller, "alert.review.read", "alert", alert_id)])
        return Outcome(Effect.READ, review_view(alert, self._policy), RecordRef("alert", alert_id))

    async def extend(
        self, caller: Caller, alert_id: str, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        self._registry.require_valid(ALERT_EXTEND, body)
        org = caller.principal.org
        async with self._store.transaction() as tx:
            if idem is not None:
                await tx.lock_idempotency_key(org, idem.key)
                stored = await tx.stored_response(org, idem.key)
                if stored is not None:
                    return stored.replay(idem)
            alert = await self._issuers_alert(tx, caller, alert_id, for_update=True)
            if alert.status != "active" or alert.erased_at is not None:
                raise Conflict("Only an active alert can be extended.", code="alert-resolved")
            now = self._clock()
            due = self._policy.review_due(alert.category, now)
            extensions = await tx.extend_review(alert.alert_id, due)
            detail = {"reason": body["reason"], "review_due_at": format_time(due),
                      "previous_review_due_at": format_time(alert.review_due_at)}
            await tx.append_audit(
                [AuditEntry.by(caller, "alert.extend", "alert", alert.alert_id, detail)]
            )
            extended = AlertRetention(
                alert.alert_id, alert.status, alert.category, due, None, None, None, None,
                extensions,
            )
            outcome = Outcome(
                Effect.CHANGED, review_view(extended, self._policy),
                RecordRef("alert", alert.alert_id),
            )
            if idem is not None:
                await tx.store_response(org, idem.key, StoredResponse.of(idem, outcome))
            return outcome

    async def _issuers_alert(
        self, tx: RetentionTransaction, caller: Caller, alert_id: str, *, for_update: bool
    ) -> AlertRetention:
        scope = allowed_scope(caller.principal, "alert.update")
        if scope is None:
            raise NotAllowed(f"A {caller.principal.org_kind} token may not review alerts.")
        try:
            alert_id = str(uuid.UUID(alert_id))
        except ValueError:
            raise NotFound("No alert with this id.") from None
        stored = await tx.get_record("alert", alert_id, for_update=for_update)
        alert = await tx.alert_retention(alert_id, for_update=False)
        if stored is None or alert is None:
            raise NotFound("No alert with this id.")
        if not may_touch(caller.principal, scope, stored.org_id):
            raise NotAllowed("This alert belongs to another authority.")
        if alert.review_due_at is None:
            # Not yet dated by the job (it runs at start and then periodically): date it now.
            created = stored.created_at
            alert = replace(alert, review_due_at=self._policy.review_due(alert.category, created))
        return alert
