"""Intake's share of a subject-access export: the record as stored (an erased one shows what
is left), its review state, the matches linking it, the events the outbox still holds for it,
and every audit entry naming it; and who may ask.

Who may export a record: the organisation that holds it (the issuing authority of an alert,
the centre of a registration, the reporter of a sighting) or a data-protection officer (the
`dpo` role in the token). The export itself is audited as `subject_access.export`.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.common.audit import AuditEntry
from services.common.auth import Caller
from services.common.errors import NotAllowed, NotFound
from services.intake.repository import RECORD_TYPES, StoredRecord
from services.intake.retention.policy import RetentionPolicy
from services.intake.retention.review import review_view
from services.intake.retention.store import RetentionTransaction
from services.intake.views import alert_view, record_view

DPO_ROLE = "dpo"


async def find_record(tx: RetentionTransaction, record_id: str) -> tuple[str, StoredRecord]:
    try:
        record_id = str(uuid.UUID(record_id))
    except ValueError:
        raise NotFound("No record with this id.") from None
    for record_type in RECORD_TYPES:
        stored = await tx.stored_record(record_type, record_id)
        if stored is not None:
            return record_type, stored
    raise NotFound("No record with this id.")


def may_export(caller: Caller, stored: StoredRecord) -> bool:
    p = caller.principal
    return p.has_role(DPO_ROLE) or p.org == stored.org_id


async def intake_holdings(
    tx: RetentionTransaction, caller: Caller, record_id: str, policy: RetentionPolicy
) -> tuple[str, dict[str, Any]]:
    """(record type, what intake holds); refuses a caller who may not export the record and
    audits an export it allows, in the caller's transaction."""
    record_type, stored = await find_record(tx, record_id)
    if not may_export(caller, stored):
        raise NotAllowed(
            "Only the record's organisation or a data-protection officer may export it."
        )
    await tx.append_audit(
        [AuditEntry.by(caller, "subject_access.export", record_type, stored.id)]
    )
    view = alert_view(stored) if record_type == "alert" else record_view(stored)
    holdings: dict[str, Any] = {"record": view}
    if record_type == "alert":
        retention = await tx.alert_retention(stored.id, for_update=False)
        if retention is not None and retention.review_due_at is not None:
            holdings["review"] = review_view(retention, policy)
    holdings["links"] = await tx.links_of(record_type, stored.id)
    holdings["events"] = await tx.events_about(stored.id)
    holdings["audit"] = await tx.audit_about(stored.id)
    return record_type, holdings
