"""Migrations: applied in order, recorded, idempotent, and protected against edits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.common.migrations import MigrationError, migrate
from tests.integration.workers.effect_consumer import MIGRATIONS


async def _tables(conn: Any, schema: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
        schema,
    )
    return [r["table_name"] for r in rows]


async def test_applying_twice_changes_nothing(pool: Any) -> None:
    async with pool.acquire() as conn:
        first = await migrate(conn, "svc", MIGRATIONS)
        tables = await _tables(conn, "svc")
        recorded = await conn.fetch(
            "SELECT version, checksum, applied_at FROM svc.schema_migrations"
        )
        second = await migrate(conn, "svc", MIGRATIONS)
        assert first == [
            "common/0001_outbox_inbox", "common/0002_audit_chain", "common/0003_audit_prune",
            "common/0004_audit_prune_floor", "service/0001_effects",
        ]
        assert second == []
        assert (
            await _tables(conn, "svc")
            == tables
            == ["audit_checkpoints", "audit_policy", "effects", "inbox", "outbox",
                "schema_migrations"]
        )
        assert (
            await conn.fetch("SELECT version, checksum, applied_at FROM svc.schema_migrations")
            == recorded
        )


async def test_an_edited_applied_migration_is_refused(pool: Any, tmp_path: Path) -> None:
    (tmp_path / "0001_things.sql").write_text("CREATE TABLE things (id int);")
    async with pool.acquire() as conn:
        await migrate(conn, "edited", tmp_path)
        (tmp_path / "0001_things.sql").write_text("CREATE TABLE things (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, "edited", tmp_path)


async def test_each_service_schema_is_separate(pool: Any) -> None:
    async with pool.acquire() as conn:
        await migrate(conn, "one", MIGRATIONS)
        await migrate(conn, "two", MIGRATIONS)
        await conn.execute("INSERT INTO one.effects (event_id, event_type) VALUES ('e', 't')")
        assert await conn.fetchval("SELECT count(*) FROM two.effects") == 0
