"""The notifier's audit log (every read of a match, every review) keeps its entries for the
retention period, then its own worker removes them behind a checkpoint, by the notifier's
clock: nothing grows forever, and `kinlink audit verify` still passes on what is left."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from services.common.audit import AuditEntry, append
from services.common.audit_chain import verify
from services.common.audit_retention import AuditRetention
from services.common.config import CommonSettings
from services.common.db import create_pool
from services.notifier.config import SCHEMA
from tests.integration.notifier.conftest import Clock


def _read(n: int) -> AuditEntry:
    return AuditEntry(
        "fr-pn-paris", "police", "fr-pn-paris/investigator-1", "match.read", "match",
        f"00000000-0000-4000-8000-{n:012d}", f"req-{n}", None,
    )


async def _count(pool: Any) -> int:
    count: int = await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.audit_log")
    return count


async def test_entries_older_than_three_years_leave_the_log_behind_a_checkpoint(
    settings: CommonSettings, start_notifier: Callable[..., Any], clock: Clock
) -> None:
    await start_notifier(audit_retention=AuditRetention(interval_seconds=0.2))
    pool = await create_pool(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await append(conn, SCHEMA, [_read(1), _read(2), _read(3)])
        clock.advance(timedelta(days=1000))  # within the 1096 days
        await asyncio.sleep(1.0)  # several prunes
        assert await _count(pool) == 3
        clock.advance(timedelta(days=97))  # past them, by the notifier's clock
        await asyncio.sleep(1.0)
        # Not by the database's: no entry younger than the owner's floor (a year) goes.
        assert await _count(pool) == 3
        await pool.execute(f"UPDATE {SCHEMA}.audit_policy SET min_age = interval '0'")
        for _ in range(100):
            if await _count(pool) == 0:
                break
            await asyncio.sleep(0.2)
        assert await _count(pool) == 0
        checkpoint = f"SELECT max(removed_total) FROM {SCHEMA}.audit_checkpoints"
        assert await pool.fetchval(checkpoint) == 3
        async with pool.acquire() as conn:
            report = await verify(conn, SCHEMA)
        assert report.intact and report.start_after is not None
    finally:
        await pool.close()
