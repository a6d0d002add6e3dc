"""The retention job: warn issuers of reviews due, expire alerts nobody extended, erase the
personal data the rules no longer allow Kinlink to keep, and trim the audit log.

Every step on a record is one transaction that changes the record, audits the change (as the
system, with the run's id as request id) and emits its event through the outbox: a warning
(`alert.review_due`), an expiry (`alert.resolved`, resolution `expired`) or an erasure
(`<type>.erased`, on the record's own topic, which every service applies to what it keeps).
A dry run reports what a run would do and changes nothing. Runs are safe to repeat or to run
concurrently: each record is re-read under a row lock before it is changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.common.audit import AuditEntry
from services.common.catalog import ALERT_RESOLVED, ALERT_REVIEW_DUE, ERASED_TYPES
from services.common.envelope import format_time, new_event
from services.common.logging import get_logger
from services.intake.config import SOURCE_PREFIX
from services.intake.retention.policy import (
    AlertStep,
    RetentionPolicy,
    alert_step,
    erasure_reason,
    observation_reason,
)
from services.intake.retention.store import RetentionStore, RetentionTransaction

log = get_logger(__name__)
SOURCE = SOURCE_PREFIX + "retention"
JOB = "retention"
_BATCH = 500


@dataclass
class RetentionReport:
    run_id: str
    at: str
    dry_run: bool
    review_dates_assigned: int = 0
    warned: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    erased: dict[str, list[str]] = field(
        default_factory=lambda: {"alert": [], "registration": [], "sighting": []}
    )
    audit_entries_removed: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class RetentionJob:
    def __init__(
        self,
        store: RetentionStore,
        policy: RetentionPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    async def run(self, *, dry_run: bool = False) -> RetentionReport:
        now = self._clock()
        report = RetentionReport(str(uuid.uuid4()), format_time(now), dry_run)
        p = self._policy
        if not dry_run:
            async with self._store.transaction() as tx:
                report.review_dates_assigned = await tx.assign_review_dates(
                    p.review_days, p.review_period(None).days
                )
        async with self._store.transaction() as tx:
            alerts = await tx.alerts_for_review(now, p.warning, p.after_end, _BATCH)
        for alert in alerts:
            await self._alert(alert.alert_id, now, report)
        async with self._store.transaction() as tx:
            observations = await tx.observations_for_erasure(now, p.observation, _BATCH)
        for obs in observations:
            reason = observation_reason(p, obs, now)
            if reason is not None and (
                dry_run or await self._erase_observation(obs.obs_type, obs.obs_id, reason, now,
                                                         report.run_id)
            ):
                report.erased[obs.obs_type].append(obs.obs_id)
        pruned = await self._store.prune_audit(now - p.audit, dry_run=dry_run)
        report.audit_entries_removed = pruned.removed
        log.info("retention run", run_id=report.run_id, dry_run=dry_run,
                 warned=len(report.warned), expired=len(report.expired),
                 erased={k: len(v) for k, v in report.erased.items()},
                 audit_entries_removed=pruned.removed)
        return report

    async def _alert(self, alert_id: str, now: datetime, report: RetentionReport) -> None:
        async with self._store.transaction() as tx:
            alert = await tx.alert_retention(alert_id, for_update=not report.dry_run)
            step = alert_step(self._policy, alert, now) if alert is not None else None
            if alert is None or step is None:
                return
            if step is AlertStep.WARN:
                report.warned.append(alert_id)
                if not report.dry_run:
                    await self._warn(tx, alert_id, alert.review_due_at, alert.extensions,
                                     report.run_id)
                return
            reason = erasure_reason(alert)
            if step is AlertStep.EXPIRE:
                report.expired.append(alert_id)
                if not report.dry_run:
                    await self._expire(tx, alert_id, alert.review_due_at, now, report.run_id)
            report.erased["alert"].append(alert_id)
            if not report.dry_run:
                await self._erase(tx, "alert", alert_id, reason, now, report.run_id)

    async def _warn(
        self, tx: RetentionTransaction, alert_id: str, due: datetime, extensions: int,
        run_id: str,
    ) -> None:
        stored = await tx.get_record("alert", alert_id)
        assert stored is not None  # locked above
        await tx.mark_warned(alert_id, due)
        detail = {"review_due_at": format_time(due)}
        await tx.append_audit([AuditEntry.system(JOB, "alert.review_warn", "alert", alert_id,
                                                 run_id, detail)])
        data = {
            "alert_id": alert_id,
            "issuing_authority": stored.data["issuing_authority"],
            "category": stored.data["category"],
            "review_due_at": format_time(due),
            "extensions": extensions,
        }
        await tx.emit(new_event(ALERT_REVIEW_DUE, SOURCE, alert_id, data))

    async def _expire(
        self, tx: RetentionTransaction, alert_id: str, due: datetime, now: datetime, run_id: str
    ) -> None:
        resolution = {"alert_id": alert_id, "resolution": "expired", "at": format_time(now)}
        await tx.expire_alert(alert_id, resolution, now)
        detail = {"review_due_at": format_time(due)}
        await tx.append_audit([AuditEntry.system(JOB, "alert.expire", "alert", alert_id, run_id,
                                                 detail)])
        await tx.emit(new_event(ALERT_RESOLVED, SOURCE, alert_id, resolution))

    async def _erase_observation(
        self, obs_type: str, obs_id: str, reason: str, now: datetime, run_id: str
    ) -> bool:
        async with self._store.transaction() as tx:
            return await self._erase(tx, obs_type, obs_id, reason, now, run_id)

    async def _erase(
        self,
        tx: RetentionTransaction,
        record_type: str,
        record_id: str,
        reason: str,
        now: datetime,
        run_id: str,
    ) -> bool:
        if not await tx.erase_record(record_type, record_id, now):
            return False
        await tx.append_audit([AuditEntry.system(JOB, f"{record_type}.erase", record_type,
                                                 record_id, run_id, {"reason": reason})])
        data = {f"{record_type}_id": record_id, "erased_at": format_time(now), "reason": reason}
        await tx.emit(new_event(ERASED_TYPES[record_type], SOURCE, record_id, data))
        return True
