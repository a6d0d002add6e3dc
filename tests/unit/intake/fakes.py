"""`InMemoryIntakeRepository`: intake's store in memory, for unit tests of the use cases.

It behaves as `PostgresIntakeRepository` does, and tests/integration/intake/
test_repository_contract.py runs the same tests against both: transactions are all or nothing;
`created_at`, `updated_at` of an insert and an audit entry's `at` are the transaction's start
time (PostgreSQL `now()`), a save moves `updated_at` to the moment of the save; ids are UUIDs
in canonical form; audit ids are drawn from a sequence; `emit` validates as the outbox does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.common.audit import AuditEntry
from services.common.envelope import CloudEvent
from services.common.outcomes import StoredResponse
from services.common.schema_registry import SchemaRegistry
from services.intake.pfif.records import ConfirmedLink, ExportSource, Provenance
from services.intake.repository import (
    RECORD_TYPES,
    AlertRevision,
    AuditQuery,
    AuditRecord,
    Review,
    StoredRecord,
)
from tests.unit.fake_store import (
    Closable,
    MemoryStore,
    OutboxRows,
    enqueue,
    stored_json,
)

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class IntakeTables:
    records: dict[str, dict[str, StoredRecord]] = field(
        default_factory=lambda: {record_type: {} for record_type in RECORD_TYPES}
    )
    responses: dict[tuple[str, str], StoredResponse] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    history: dict[str, list[AlertRevision]] = field(default_factory=dict)
    outbox: OutboxRows = field(default_factory=list)
    reviews: dict[str, tuple[Review, datetime]] = field(default_factory=dict)
    imports: dict[tuple[str, str], tuple[str, dict[str, str]]] = field(default_factory=dict)


class InMemoryIntakeRepository(MemoryStore[IntakeTables, "_MemoryTransaction"]):
    """Intake's tables in memory; `emitted` lists the events of committed transactions."""

    def __init__(
        self,
        registry: SchemaRegistry,
        topic: Callable[[str], str] = lambda name: name,
        clock: Clock = _now,
    ) -> None:
        super().__init__(registry, topic, IntakeTables())
        self.clock = clock
        self._audit_seq = 0

    def _open(self, tables: IntakeTables) -> _MemoryTransaction:
        return _MemoryTransaction(self, tables)

    def next_audit_id(self) -> int:
        self._audit_seq += 1
        return self._audit_seq


def _canonical(record_id: str) -> str:
    """The id as PostgreSQL's uuid type stores and returns it (raises for a non-UUID)."""
    return str(uuid.UUID(record_id))


def _copy(record: StoredRecord) -> StoredRecord:
    return replace(record, data=stored_json(record.data), resolution=stored_json(record.resolution))


class _MemoryTransaction(Closable):
    def __init__(self, repo: InMemoryIntakeRepository, tables: IntakeTables) -> None:
        self._repo = repo
        self._tables = tables
        self._now = repo.clock()  # PostgreSQL now(): the start of the transaction

    async def lock_idempotency_key(self, org_id: str, key: str) -> None:
        self._check_open()  # transactions already run one at a time

    async def stored_response(self, org_id: str, key: str) -> StoredResponse | None:
        self._check_open()
        found = self._tables.responses.get((org_id, key))
        return replace(found, body=stored_json(found.body)) if found is not None else None

    async def store_response(self, org_id: str, key: str, response: StoredResponse) -> None:
        self._check_open()
        if (org_id, key) in self._tables.responses:
            raise asyncpg.UniqueViolationError("idempotency key already stored")
        if response.effect not in ("created", "changed"):
            raise asyncpg.CheckViolationError("idempotency_effect")
        self._tables.responses[(org_id, key)] = replace(response, body=stored_json(response.body))

    async def insert_alert(self, alert_id: str, org_id: str, data: Any) -> StoredRecord:
        record = StoredRecord(
            _canonical(alert_id), org_id, stored_json(data), self._now, "active", None, self._now
        )
        return self._insert("alert", record)

    async def insert_record(
        self, record_type: str, record_id: str, org_id: str, data: Any
    ) -> StoredRecord:
        record = StoredRecord(_canonical(record_id), org_id, stored_json(data), self._now)
        return self._insert(record_type, record)

    def _insert(self, record_type: str, record: StoredRecord) -> StoredRecord:
        self._check_open()
        table = self._tables.records[record_type]
        if record.id in table:
            raise asyncpg.UniqueViolationError(f"duplicate {record_type} id")
        table[record.id] = record
        return _copy(record)

    async def get_record(
        self, record_type: str, record_id: str, *, for_update: bool = False
    ) -> StoredRecord | None:
        self._check_open()
        found = self._tables.records[record_type].get(_canonical(record_id))
        return _copy(found) if found is not None else None

    async def save_alert(
        self, alert_id: str, status: str, data: Any, resolution: Any
    ) -> StoredRecord:
        self._check_open()
        alerts = self._tables.records["alert"]
        current = alerts[_canonical(alert_id)]  # KeyError: the real one fails too
        if status not in ("active", "resolved"):
            raise asyncpg.CheckViolationError("alerts_status_check")
        saved = replace(
            current,
            status=status,
            data=stored_json(data),
            resolution=stored_json(resolution),
            updated_at=self._repo.clock(),  # clock_timestamp(): the moment of the save
        )
        alerts[saved.id] = saved
        return _copy(saved)

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
        self._check_open()

        def order(record: StoredRecord) -> tuple[datetime, uuid.UUID]:
            assert record.updated_at is not None
            return record.updated_at, uuid.UUID(record.id)

        cursor = (after[0], uuid.UUID(after[1])) if after else None
        rows = [
            r
            for r in self._tables.records["alert"].values()
            if (org_id is None or r.org_id == org_id or (or_active and r.status == "active"))
            and (status is None or r.status == status)
            and (updated_since is None or order(r)[0] >= updated_since)
            and (cursor is None or order(r) > cursor)
        ]
        return [_copy(r) for r in sorted(rows, key=order)[:limit]]

    async def append_alert_history(self, alert_id: str, org_id: str, event: CloudEvent) -> None:
        self._check_open()
        alert_id = _canonical(alert_id)
        if alert_id not in self._tables.records["alert"]:
            raise asyncpg.ForeignKeyViolationError("alert_history_alert_id_fkey")
        revisions = self._tables.history.setdefault(alert_id, [])
        revisions.append(
            AlertRevision(
                len(revisions) + 1, event.id, event.type, org_id, stored_json(event.data), self._now
            )
        )

    async def alert_history(self, alert_id: str) -> list[AlertRevision]:
        self._check_open()
        found = self._tables.history.get(_canonical(alert_id), [])
        return [replace(r, data=stored_json(r.data)) for r in found]

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        self._check_open()
        for entry in entries:
            self._tables.audit.append(AuditRecord(self._repo.next_audit_id(), self._now, entry))

    async def list_audit(
        self, query: AuditQuery, *, after_id: int, limit: int
    ) -> list[AuditRecord]:
        self._check_open()
        q = query
        rows = [
            r
            for r in self._tables.audit
            if r.id > after_id
            and (q.org_id is None or r.entry.org_id == q.org_id)
            and (q.record_id is None or r.entry.record_id == q.record_id)
            and (q.action is None or r.entry.action == q.action)
            and (q.since is None or r.at >= q.since)
            and (q.until is None or r.at < q.until)
        ]
        return sorted(rows, key=lambda r: r.id)[:limit]

    async def save_review(self, review: Review) -> None:
        self._check_open()
        current = self._tables.reviews.get(review.match_id)
        if current is None or current[0].reviewed_at <= review.reviewed_at:
            self._tables.reviews[review.match_id] = (review, self._repo.clock())

    async def pfif_page(
        self, *, org_id: str | None, min_entry: datetime | None, skip: int, limit: int
    ) -> list[ExportSource]:
        self._check_open()
        sources = [
            self._source(record_type, record)
            for record_type, table in self._tables.records.items()
            for record in table.values()
            if org_id is None or record.org_id == org_id
        ]
        sources = [s for s in sources if min_entry is None or s.entry_at >= min_entry]
        sources.sort(key=lambda s: (s.entry_at, s.record_type, uuid.UUID(s.record_id)))
        return sources[skip : skip + limit]

    def _source(self, record_type: str, record: StoredRecord) -> ExportSource:
        touching = [
            (review, stored)
            for review, stored in self._tables.reviews.values()
            if record.id in (review.alert_id, review.observation_id)
        ]
        changed = record.updated_at or record.created_at
        imported = next(
            (
                provenance
                for (kind, _), (record_id, provenance) in self._tables.imports.items()
                if kind == record_type and record_id == record.id
            ),
            None,
        )
        confirmed = sorted(
            (r for r in touching if r[0].decision == "confirmed"),
            key=lambda r: (r[0].reviewed_at, uuid.UUID(r[0].match_id)),
        )
        return ExportSource(
            record_type=record_type,
            record_id=record.id,
            org_id=record.org_id,
            data=stored_json(record.data),
            created_at=record.created_at,
            entry_at=max([changed, *(stored for _, stored in touching)]),
            status=record.status,
            resolution=stored_json(record.resolution),
            provenance=Provenance.from_json(imported) if imported else None,
            links=tuple(
                ConfirmedLink(
                    r.match_id,
                    r.alert_id,
                    r.observation_type,
                    r.observation_id,
                    r.reviewer_org,
                    r.reviewed_at,
                    stored,
                )
                for r, stored in confirmed
            ),
        )

    async def pfif_ids(self, record_ids: Sequence[str]) -> dict[tuple[str, str], str]:
        self._check_open()
        wanted = set(record_ids)
        found = {}
        for (record_type, person_record_id), (record_id, _) in self._tables.imports.items():
            if record_id in wanted:
                found[(record_type, record_id)] = person_record_id
        return found

    async def find_import(self, person_record_id: str, record_type: str) -> str | None:
        self._check_open()
        found = self._tables.imports.get((record_type, person_record_id))
        return found[0] if found else None

    async def save_import(
        self, person_record_id: str, record_type: str, record_id: str, provenance: Provenance
    ) -> None:
        self._check_open()
        if (record_type, person_record_id) in self._tables.imports:
            raise asyncpg.UniqueViolationError("pfif_imports_pkey")
        self._tables.imports[(record_type, person_record_id)] = (
            _canonical(record_id),
            stored_json(provenance.to_json()),
        )

    async def emit(self, event: CloudEvent) -> None:
        self._check_open()
        enqueue(self._tables.outbox, event, self._repo.registry, self._repo.topic)
