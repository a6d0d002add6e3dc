"""The notifier's share of data protection: tell an issuing authority that an alert's review
is due, and erase what the notifier keeps about a record whose personal data intake erased.

A review warning goes to every subscription of the issuing authority (webhooks included) or,
if it has none, to the organisation itself (its SSE stream and polling): one notification per
recipient, with a stable id, so a redelivered event notifies nobody twice. It names the alert,
its category and the review date, never the child.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from services.common.audit import AuditEntry
from services.common.errors import RejectEvent
from services.common.logging import get_logger
from services.notifier.domain.model import Notification
from services.notifier.repository import NotifierTransaction

log = get_logger(__name__)
REVIEW_DUE = "alert.review_due"
_NAMESPACE = uuid.UUID("6f1d2c3b-8a4e-4f0a-9b7c-1d2e3f4a5b6c")


class ProtectionTransaction(NotifierTransaction, Protocol):
    """The notifier's port plus erasure (postgres_erasure.py)."""

    async def erase_alert_context(self, alert_id: str, at: datetime) -> bool: ...

    async def erase_observation_context(
        self, obs_type: str, obs_id: str, at: datetime
    ) -> bool: ...


class DataProtection:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock

    async def review_due(self, data: dict[str, Any], tx: NotifierTransaction) -> None:
        await tx.lock_routing()
        authority = str(data["issuing_authority"]["id"])
        recipients: list[tuple[str | None, bool]] = [
            (s.id, s.webhook is not None) for s in await tx.subscriptions_of(authority)
        ] or [(None, False)]
        now = self._clock()
        for subscription_id, has_webhook in recipients:
            key = f"{data['alert_id']}/{data['review_due_at']}/{subscription_id or authority}"
            nid = str(uuid.uuid5(_NAMESPACE, key))
            payload = {
                "id": nid,
                "kind": REVIEW_DUE,
                "subscription_id": subscription_id,
                "alert": {
                    "alert_id": data["alert_id"],
                    "category": data["category"],
                    "issuing_authority": data["issuing_authority"],
                    "review_due_at": data["review_due_at"],
                    "extensions": data.get("extensions", 0),
                },
                "action": f"POST /v1/alerts/{data['alert_id']}/extend with a reason to keep"
                " the alert; otherwise it expires and its personal data is erased.",
            }
            note = Notification(nid, authority, subscription_id, None, REVIEW_DUE, payload)
            stored = await tx.add_notification(note)
            if stored is not None and has_webhook and subscription_id is not None:
                await tx.enqueue_delivery(nid, subscription_id, now)
        log.info("review warning routed", alert_id=data["alert_id"], recipients=len(recipients))

    async def record_erased(
        self, record_type: str, data: dict[str, Any], event_id: str, tx: ProtectionTransaction
    ) -> None:
        record_id = str(data[f"{record_type}_id"])
        try:
            at = datetime.fromisoformat(str(data["erased_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise RejectEvent("erasure without a usable time") from None
        await tx.lock_routing()
        if record_type == "alert":
            erased = await tx.erase_alert_context(record_id, at)
        else:
            erased = await tx.erase_observation_context(record_type, record_id, at)
        await tx.append_audit([AuditEntry.system(
            "erasure", f"{record_type}.erase", record_type, record_id, event_id,
            {"reason": data.get("reason"), "context_held": erased},
        )])
        log.info("record erased", record_type=record_type, record_id=record_id)
