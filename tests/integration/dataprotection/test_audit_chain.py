"""The audit log is append-only and tamper-evident: `verify` finds an altered, an inserted and a
removed entry (each made by a superuser connection that switches the triggers off, as an
attacker with full database access would), and pruning old entries keeps the chain verifiable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.common.audit import AuditEntry, append
from services.common.audit_chain import GENESIS, entry_hash, prune, verify
from services.intake.app import MIGRATIONS
from services.intake.config import SCHEMA
from tests.integration.stores import migrated_pool
from tests.stack_fixtures import TestStack

FIELDS = "org_id, org_kind, subject, action, record_type, record_id, request_id, detail"


@pytest.fixture
async def audit_pool(stack: TestStack) -> AsyncIterator[Any]:
    async with migrated_pool(stack, SCHEMA, MIGRATIONS) as pool:
        yield pool


def entry(n: int, detail: str | None = None) -> AuditEntry:
    return AuditEntry(
        "it-ps-imperia", "police", "it-ps-imperia/officer-1", "alert.read", "alert",
        f"00000000-0000-4000-8000-{n:012d}", f"req-{n}", detail,
    )


async def add(pool: Any, *numbers: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await append(conn, SCHEMA, [entry(n) for n in numbers])


async def tamper(pool: Any, *statements: str) -> None:
    """As a superuser who switches the triggers off for the session."""
    async with pool.acquire() as conn:
        await conn.execute("SET session_replication_role = replica")
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.execute("SET session_replication_role = DEFAULT")


async def check(pool: Any) -> Any:
    async with pool.acquire() as conn:
        return await verify(conn, SCHEMA)


async def test_an_untouched_chain_verifies_and_the_database_refuses_changes(
    audit_pool: Any,
) -> None:
    await add(audit_pool, 1, 2)
    await add(audit_pool, 3)
    report = await check(audit_pool)
    assert report.intact and report.entries == 3 and report.head_id == 3
    async with audit_pool.acquire() as conn:
        first = await conn.fetchrow(f'SELECT * FROM "{SCHEMA}".audit_log WHERE id = 1')
        assert first["prev_hash"] == GENESIS
        values = [first[f] for f in FIELDS.split(", ")]
        assert first["hash"] == entry_hash(1, first["at"], values, GENESIS)
        for statement in (
            f"UPDATE \"{SCHEMA}\".audit_log SET action = 'nothing'",
            f'DELETE FROM "{SCHEMA}".audit_log WHERE id = 1',
            f'TRUNCATE "{SCHEMA}".audit_log',
            f'DELETE FROM "{SCHEMA}".audit_checkpoints',
        ):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute(statement)
        # A checkpoint that names no entry by its true hash is refused too.
        with pytest.raises(asyncpg.PostgresError, match="checkpoint"):
            await conn.execute(
                f'INSERT INTO "{SCHEMA}".audit_checkpoints'
                " (through_id, through_at, through_hash, removed, removed_total)"
                " VALUES (3, now(), $1, 3, 3)",
                GENESIS,
            )


async def test_verify_finds_an_altered_entry(audit_pool: Any) -> None:
    await add(audit_pool, 1, 2, 3)
    await tamper(audit_pool, f"UPDATE \"{SCHEMA}\".audit_log SET subject = 'someone' WHERE id = 2")
    report = await check(audit_pool)
    assert report.problems == ["entry 2 does not match its hash: it was altered"]


async def test_verify_finds_an_inserted_entry(audit_pool: Any) -> None:
    await add(audit_pool, 1)
    async with audit_pool.acquire() as conn:
        await conn.execute(f"SELECT setval('\"{SCHEMA}\".audit_log_id_seq', 5)")
        first = await conn.fetchrow(f'SELECT hash FROM "{SCHEMA}".audit_log WHERE id = 1')
    await add(audit_pool, 6)
    # A forged entry 3, correctly hashed and linked to entry 1, slipped in between 1 and 6.
    at = datetime.now(UTC)
    forged = entry(3)
    values = [getattr(forged, f) for f in FIELDS.split(", ")]
    forged_hash = entry_hash(3, at, values, first["hash"])
    async with audit_pool.acquire() as conn:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(
            f'INSERT INTO "{SCHEMA}".audit_log (id, at, {FIELDS}, prev_hash, hash)'
            " VALUES (3, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            at, *values, first["hash"], forged_hash,
        )
    report = await check(audit_pool)
    assert report.problems == [
        "entry 6 does not follow entry 3: an entry was inserted or removed"
    ]


async def test_verify_finds_a_removed_entry(audit_pool: Any) -> None:
    await add(audit_pool, 1, 2, 3)
    await tamper(audit_pool, f'DELETE FROM "{SCHEMA}".audit_log WHERE id = 2')
    report = await check(audit_pool)
    assert report.problems == [
        "entry 3 does not follow entry 1: an entry was inserted or removed"
    ]


async def test_pruning_old_entries_leaves_a_checkpoint_the_chain_continues_from(
    audit_pool: Any,
) -> None:
    await add(audit_pool, 1, 2, 3)
    async with audit_pool.acquire() as conn:
        cutoff = await conn.fetchval("SELECT clock_timestamp()")
    await add(audit_pool, 4, 5)
    async with audit_pool.acquire() as conn:
        # Under the owner's floor (a year): nothing this young goes, whatever is asked.
        assert (await prune(conn, SCHEMA, cutoff)).removed == 0
        assert await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".audit_log') == 5
        await conn.execute(f"UPDATE \"{SCHEMA}\".audit_policy SET min_age = interval '0'")
        dry = await prune(conn, SCHEMA, cutoff, dry_run=True)
        assert (dry.removed, dry.through_id) == (3, 3)
        assert await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".audit_log') == 5
        done = await prune(conn, SCHEMA, cutoff)
        assert (done.removed, done.through_id) == (3, 3)
        ids = [r["id"] for r in await conn.fetch(f'SELECT id FROM "{SCHEMA}".audit_log')]
        assert sorted(ids) == [4, 5]
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute(f'DELETE FROM "{SCHEMA}".audit_log WHERE id = 4')
    report = await check(audit_pool)
    assert report.intact and report.start_after == 3 and report.entries == 2
    await add(audit_pool, 6)
    assert (await check(audit_pool)).intact
    # Removing the first entry after the checkpoint is still found.
    await tamper(audit_pool, f'DELETE FROM "{SCHEMA}".audit_log WHERE id = 4')
    assert (await check(audit_pool)).problems == [
        "entry 5 does not follow the chain's start: an entry was inserted or removed"
    ]


async def test_concurrent_appends_chain_in_id_order(audit_pool: Any) -> None:
    import asyncio

    await asyncio.gather(*(add(audit_pool, n, n + 100) for n in range(1, 21)))
    report = await check(audit_pool)
    assert report.intact and report.entries == 40 and report.head_id == 40
