"""The audit trail every door keeps: who did what to which record, in which request.

Each service that serves people (intake, notifier) has an append-only `audit_log` table in its
own schema; entries are made in the same transaction as the change or the read they record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.common.auth import Caller


@dataclass(frozen=True)
class AuditEntry:
    org_id: str
    org_kind: str
    subject: str
    action: str
    record_type: str
    record_id: str
    request_id: str

    @classmethod
    def by(cls, caller: Caller, action: str, record_type: str, record_id: str) -> AuditEntry:
        p = caller.principal
        return cls(p.org, p.org_kind, p.subject, action, record_type, record_id, caller.request_id)


async def append(conn: asyncpg.Connection, schema: str, entries: Sequence[AuditEntry]) -> None:
    sql = (
        f'INSERT INTO "{schema}".audit_log'
        " (org_id, org_kind, subject, action, record_type, record_id, request_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    if len(entries) == 1:  # the common case (one write, one read): a plain statement
        await conn.execute(sql, *_row(entries[0]))
    elif entries:
        await conn.executemany(sql, [_row(entry) for entry in entries])


def _row(e: AuditEntry) -> tuple[str, ...]:
    # Spelt out: dataclasses.astuple deep-copies each field, several times slower.
    return (e.org_id, e.org_kind, e.subject, e.action, e.record_type, e.record_id, e.request_id)
