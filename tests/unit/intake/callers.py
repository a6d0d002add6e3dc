"""Who calls intake's use cases in the unit tests, and how to read what the fake store holds."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.common.auth import AUDITOR_ROLE, Caller, Principal
from services.common.outcomes import IdempotencyKey
from services.intake.repository import AuditQuery, AuditRecord
from tests.unit.intake.fakes import InMemoryIntakeRepository

# The organisation and country each kind's caller speaks for, unless a test names another.
ORGS = {
    "police": ("it-ps-imperia", "ITA"),
    "reception_centre": ("it-centre-roja", "ITA"),
    "ngo": ("fr-ngo-utopia", "FRA"),
    "hotline": ("fr-hotline-116000", "FRA"),
    "investigator": ("eu-investigations", "NLD"),
    "auditor": ("eu-dpo", "BEL"),
}
KINDS = tuple(ORGS)


def caller(
    kind: str,
    org: str | None = None,
    *,
    roles: tuple[str, ...] | None = None,
    request_id: str = "req-1",
) -> Caller:
    default_org, country = ORGS[kind]
    org = org or default_org
    granted = roles if roles is not None else ((AUDITOR_ROLE,) if kind == "auditor" else ())
    principal = Principal(f"{org}/officer-1", org, kind, country, frozenset(granted))
    return Caller(principal, request_id)


def keyed(key: str, body: Any, door: str = "POST /v1/alerts") -> IdempotencyKey:
    """An Idempotency-Key with the hash of the request, as the HTTP adapter computes one."""
    canonical = json.dumps([door, body], sort_keys=True, separators=(",", ":"))
    return IdempotencyKey(key, hashlib.sha256(canonical.encode()).hexdigest())


async def audit_log(repo: InMemoryIntakeRepository, **query: Any) -> list[AuditRecord]:
    async with repo.transaction() as tx:
        return await tx.list_audit(AuditQuery(**query), after_id=0, limit=1000)


def actions(log: list[AuditRecord]) -> list[tuple[str, str, str]]:
    """(organisation kind, action, record id) of each entry, in order."""
    return [(r.entry.org_kind, r.entry.action, r.entry.record_id) for r in log]
