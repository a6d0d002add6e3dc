"""A subject-access export: everything Kinlink holds about one child's record, from every
service's store, as one JSON document.

Intake decides whether the caller may have it (and audits the export); the correlator's and
the notifier's holdings are then read from their own schemas. Each service's reading lives in
that service (`*/subject_access.py`); this module only puts the parts together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.common.auth import Caller
from services.common.db import create_pool
from services.common.envelope import format_time
from services.common.schema_registry import SchemaRegistry
from services.correlator.subject_access import correlator_holdings
from services.intake.retention.policy import RetentionPolicy
from services.intake.retention.postgres import PostgresRetentionStore
from services.intake.retention.subject_access import intake_holdings
from services.notifier.subject_access import notifier_holdings


@dataclass(frozen=True)
class Databases:
    """Where each service's schema lives (one database in the local stack)."""

    intake: str
    correlator: str
    notifier: str


async def _read(url: str, schema: str, reader: Any, record_type: str, record_id: str) -> Any:
    pool = await create_pool(url, min_size=1, max_size=1)  # with the JSON codecs
    try:
        async with pool.acquire() as conn:
            present = await conn.fetchval(
                "SELECT to_regclass($1) IS NOT NULL", f"{schema}.audit_log"
            )
            if not present:
                return None  # the service never ran against this database
            return await reader(conn, record_type, record_id)
    finally:
        await pool.close()


async def export(
    databases: Databases,
    caller: Caller,
    record_id: str,
    policy: RetentionPolicy,
    registry: SchemaRegistry | None = None,
) -> dict[str, Any]:
    pool = await create_pool(databases.intake, min_size=1, max_size=1)
    try:
        store = PostgresRetentionStore(pool, registry or SchemaRegistry.load(), lambda t: t)
        async with store.transaction() as tx:
            record_type, intake = await intake_holdings(tx, caller, record_id, policy)
    finally:
        await pool.close()
    record_id = intake["record"][f"{record_type}_id"]
    return {
        "record": {"type": record_type, "id": record_id},
        "exported_at": format_time(datetime.now(UTC)),
        "exported_by": {"org": caller.principal.org, "subject": caller.principal.subject},
        "intake": intake,
        "correlator": await _read(
            databases.correlator, "correlator", correlator_holdings, record_type, record_id
        ),
        "notifier": await _read(
            databases.notifier, "notifier", notifier_holdings, record_type, record_id
        ),
    }
