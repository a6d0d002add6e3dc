"""Intake's store as the use cases see it (the port): a Protocol and its records.

`PostgresIntakeRepository` (postgres.py) implements it; the unit tests use an in-memory fake held
to the same behaviour by one contract test. Every use case runs in one `transaction()`, so a
record, its audit entry, its event and the stored response of a keyed request commit together
or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.common.audit import AuditEntry
from services.common.envelope import CloudEvent
from services.common.outcomes import IdempotencyStore
from services.intake.pfif.records import ExportSource, Provenance

RECORD_TYPES = ("alert", "registration", "sighting")


@dataclass(frozen=True)
class StoredRecord:
    """An alert, registration or sighting as stored. `status`, `resolution` and `updated_at`
    are an alert's only."""

    id: str
    org_id: str
    data: dict[str, Any]
    created_at: datetime
    status: str | None = None
    resolution: dict[str, Any] | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class AlertRevision:
    """One event in an alert's life: its number (1 = published), the event, who sent it."""

    revision: int
    event_id: str
    event_type: str
    org_id: str
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    entry: AuditEntry


@dataclass(frozen=True)
class Review:
    """The decision of a `match.reviewed` event, as intake keeps it for PFIF links."""

    match_id: str
    alert_id: str
    observation_type: str
    observation_id: str
    decision: str
    reviewer_org: str
    reviewed_at: datetime


@dataclass(frozen=True)
class AuditQuery:
    org_id: str | None = None
    record_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class IntakeTransaction(IdempotencyStore, Protocol):
    """What a use case may read and change, atomically."""

    async def insert_alert(self, alert_id: str, org_id: str, data: Any) -> StoredRecord: ...

    async def insert_record(
        self, record_type: str, record_id: str, org_id: str, data: Any
    ) -> StoredRecord:
        """Store a new registration or sighting (alerts have `insert_alert`)."""

    async def get_record(
        self, record_type: str, record_id: str, *, for_update: bool = False
    ) -> StoredRecord | None: ...

    async def save_alert(
        self, alert_id: str, status: str, data: Any, resolution: Any
    ) -> StoredRecord: ...

    async def list_alerts(
        self,
        *,
        org_id: str | None,
        status: str | None,
        updated_since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
        or_active: bool = False,
    ) -> list[StoredRecord]:
        """Alerts ordered by (updated_at, id), the page after the cursor `after`; those of
        `org_id` (None: every organisation's), and with `or_active` every active alert too."""

    async def append_alert_history(self, alert_id: str, org_id: str, event: CloudEvent) -> None:
        """Record `event` as the alert's next revision."""

    async def alert_history(self, alert_id: str) -> list[AlertRevision]:
        """The alert's revisions, oldest first."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None: ...

    async def list_audit(
        self, query: AuditQuery, *, after_id: int, limit: int
    ) -> list[AuditRecord]: ...

    async def save_review(self, review: Review) -> None:
        """Keep the latest decision per match (by `reviewed_at`); an older one changes nothing."""

    async def pfif_page(
        self, *, org_id: str | None, min_entry: datetime | None, skip: int, limit: int
    ) -> list[ExportSource]:
        """Records (of `org_id`, or all) ordered by entry time (the latest change to the record
        or to a review of its matches), type and id, from `min_entry` on, after `skip` of them;
        each with its provenance and confirmed links."""

    async def pfif_ids(self, record_ids: Sequence[str]) -> dict[tuple[str, str], str]:
        """(record type, id) -> the partner's person_record_id, for those of `record_ids` that
        were imported."""

    async def find_import(self, person_record_id: str, record_type: str) -> str | None:
        """The id of the record an earlier import made of this partner record, if any."""

    async def save_import(
        self, person_record_id: str, record_type: str, record_id: str, provenance: Provenance
    ) -> None: ...

    async def emit(self, event: CloudEvent) -> None:
        """Publish `event` if and only if this transaction commits (the outbox)."""


class IntakeRepository(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[IntakeTransaction]: ...
