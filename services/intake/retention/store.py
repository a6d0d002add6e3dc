"""The retention job's view of intake's store (the port): what it reads and changes.

`PostgresRetentionStore` (retention/postgres.py) implements it on intake's own tables. A
transaction here is also an `IntakeTransaction`, so audit entries, events (the outbox) and the
stored responses of keyed requests go through the same doors as every other use case.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.common.audit_chain import Pruned
from services.intake.repository import IntakeTransaction, StoredRecord
from services.intake.retention.policy import AlertRetention, ObservationRetention


class RetentionTransaction(IntakeTransaction, Protocol):
    async def assign_review_dates(self, review_days: Mapping[str, int], default_days: int) -> int:
        """Give every alert without a review date one: its creation plus its category's period."""

    async def alerts_for_review(
        self, now: datetime, warning: timedelta, after_end: timedelta, limit: int
    ) -> list[AlertRetention]:
        """Unerased alerts the rules may act on now: active ones in or past their warning
        window, resolved ones expired or ended before `now - after_end`."""

    async def alert_retention(self, alert_id: str, *, for_update: bool) -> AlertRetention | None:
        ...

    async def mark_warned(self, alert_id: str, review_due_at: datetime) -> None: ...

    async def extend_review(self, alert_id: str, review_due_at: datetime) -> int:
        """Set a new review date (a new warning will be due); returns the extension count."""

    async def expire_alert(self, alert_id: str, resolution: dict[str, Any], at: datetime) -> None:
        ...

    async def observations_for_erasure(
        self, now: datetime, period: timedelta, limit: int
    ) -> list[ObservationRetention]:
        """Unerased observations older than `period`, or linked only to erased alerts, with
        the state of every alert they are linked to."""

    async def erase_record(self, record_type: str, record_id: str, at: datetime) -> bool:
        """Erase the record's personal data (and the stored responses and published outbox
        rows that repeat it); False if it was erased already."""

    async def save_link(
        self, match_id: str, alert_id: str, obs: tuple[str, str], revision: int, status: str
    ) -> None:
        """The correlator's latest word on a match (an older revision changes nothing)."""

    async def links_of(self, record_type: str, record_id: str) -> list[dict[str, Any]]: ...

    async def audit_about(self, record_id: str) -> list[dict[str, Any]]:
        """Every audit entry naming the record, oldest first."""

    async def events_about(self, record_id: str) -> list[dict[str, Any]]:
        """The record's events the outbox still holds (published ones are kept for a while)."""

    async def stored_record(self, record_type: str, record_id: str) -> StoredRecord | None: ...


class RetentionStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RetentionTransaction]: ...

    async def prune_audit(self, before: datetime, *, dry_run: bool) -> Pruned: ...
