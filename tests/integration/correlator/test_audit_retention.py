"""The correlator's audit log keeps its entries for the retention period, then its own worker
removes them behind a checkpoint: nothing grows forever, and `kinlink audit verify` still
passes on what is left."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.common.audit import AuditEntry, append
from services.common.audit_chain import verify
from services.common.audit_retention import AuditRetention
from services.common.config import CommonSettings
from services.common.db import create_pool
from services.correlator.config import SCHEMA
from tests.integration.correlator.harness import start_correlator


def _entry(n: int) -> AuditEntry:
    return AuditEntry.system(
        "erasure", "registration.erase", "registration", f"00000000-0000-4000-8000-{n:012d}",
        f"event-{n}", {"reason": "retention_elapsed"},
    )


async def test_entries_past_the_period_leave_the_log_and_the_chain_still_verifies(
    settings: CommonSettings,
) -> None:
    pool = await create_pool(settings.database_url)
    # Kept for a day: nothing of today goes.
    kept = AuditRetention(keep=timedelta(days=1), interval_seconds=0.2)
    service = await start_correlator(settings, audit_retention=kept)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await append(conn, SCHEMA, [_entry(1), _entry(2)])
        await asyncio.sleep(1.0)  # several prunes
        assert await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.audit_log") == 2
    finally:
        await service.stop()
    # Kept for no time at all (the owner lowers its floor of a year, measured by the database's
    # clock, for the test): the entries go at the next prune, behind a checkpoint.
    await pool.execute(f"UPDATE {SCHEMA}.audit_policy SET min_age = interval '0'")
    service = await start_correlator(
        settings, audit_retention=AuditRetention(keep=timedelta(0), interval_seconds=0.2)
    )
    try:
        for _ in range(100):
            if await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.audit_log") == 0:
                break
            await asyncio.sleep(0.2)
        assert await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.audit_log") == 0
        checkpoint = f"SELECT max(removed_total) FROM {SCHEMA}.audit_checkpoints"
        assert await pool.fetchval(checkpoint) == 2
        async with pool.acquire() as conn, conn.transaction():
            await append(conn, SCHEMA, [_entry(3)])
        async with pool.acquire() as conn:
            report = await verify(conn, SCHEMA)
        assert report.intact and report.start_after is not None
    finally:
        await service.stop()
        await pool.close()
