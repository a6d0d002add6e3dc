"""The audit trail every door keeps: who did what to which record, in which request.

Each service that audits has an append-only, hash-chained `audit_log` table in its own schema
(services/common/migrations/0002_audit_chain.sql; `audit_chain` verifies and prunes it). Entries
are made in the same transaction as the change or the read they record; the database chains them.
`detail` is a small JSON object of non-personal facts (a reason code, a new review date).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.common.auth import Caller

SYSTEM_ORG = "kinlink"
SYSTEM_KIND = "system"


@dataclass(frozen=True)
class AuditEntry:
    org_id: str
    org_kind: str
    subject: str
    action: str
    record_type: str
    record_id: str
    request_id: str
    detail: str | None = None  # canonical JSON text, see `detail_text`

    @classmethod
    def by(
        cls,
        caller: Caller,
        action: str,
        record_type: str,
        record_id: str,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        p = caller.principal
        return cls(
            p.org, p.org_kind, p.subject, action, record_type, record_id, caller.request_id,
            detail_text(detail),
        )

    @classmethod
    def system(
        cls,
        job: str,
        action: str,
        record_type: str,
        record_id: str,
        run_id: str,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """An entry made by Kinlink itself (e.g. the retention job), not by a caller."""
        return cls(
            SYSTEM_ORG, SYSTEM_KIND, f"{SYSTEM_ORG}/{job}", action, record_type, record_id,
            run_id, detail_text(detail),
        )


def detail_text(detail: Mapping[str, Any] | None) -> str | None:
    """One text per detail (sorted keys, no spaces), so the hashed text is reproducible."""
    if detail is None:
        return None
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def append(conn: asyncpg.Connection, schema: str, entries: Sequence[AuditEntry]) -> None:
    """Append entries; the table's trigger assigns id, time and the chain hashes."""
    sql = (
        f'INSERT INTO "{schema}".audit_log (org_id, org_kind, subject, action, record_type,'
        " record_id, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    if len(entries) == 1:  # the common case (one write, one read): a plain statement
        await conn.execute(sql, *_row(entries[0]))
    elif entries:
        await conn.executemany(sql, [_row(entry) for entry in entries])


def _row(e: AuditEntry) -> tuple[Any, ...]:
    # Spelt out: dataclasses.astuple deep-copies each field, several times slower.
    return (e.org_id, e.org_kind, e.subject, e.action, e.record_type, e.record_id,
            e.request_id, e.detail)
