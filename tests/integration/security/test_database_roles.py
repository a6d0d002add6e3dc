"""Least privilege in PostgreSQL, on the real database: each service's own role may append to its
audit log but not change, remove or truncate entries (refused by privileges, before any trigger),
may not reach another service's schema, disable a trigger or bypass triggers; the retention job,
under that same role, still removes old audit entries through the owner's SECURITY DEFINER
function (never one younger than the owner's floor), and `kinlink audit verify` passes
afterwards. Production refuses a superuser or the
schema owner as a service's connection. A database migrated before the roles existed is handed
to the owner by `kinlink up`."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner

from services.cli import main
from services.common.audit import AuditEntry, append
from services.common.audit_chain import verify
from services.common.config import SERVICES, CommonSettings
from services.common.db import create_pool
from services.common.migrations import migrate
from services.common.production import ProductionRefused
from services.common.roles import OWNER_ROLE, prepare_schema, service_role, url_as
from services.common.schema_cli import migrate_services, migrations_of
from services.common.schema_registry import SchemaRegistry
from services.devstack.database import prepare_local_database
from services.intake.retention.postgres import PostgresRetentionStore
from tests.stack_fixtures import TestStack

PERMISSION_DENIED = "permission denied"


@pytest.fixture
async def migrated(settings: CommonSettings) -> CommonSettings:
    """Every schema migrated as the owner, each service's role granted (as `kinlink migrate`)."""
    assert settings.database_migration_url is not None
    await migrate_services(settings.database_migration_url, {s: service_role(s) for s in SERVICES})
    return settings


@pytest.fixture
async def intake_conn(migrated: CommonSettings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(migrated.database_url_for("intake"))
    try:
        yield conn
    finally:
        await conn.close()


def entry(n: int) -> AuditEntry:
    return AuditEntry("it-ps-imperia", "police", "it-ps-imperia/officer-1", "alert.read",
                      "alert", f"00000000-0000-4000-8000-00000000000{n}", f"req-{n}")


async def refused(conn: asyncpg.Connection, sql: str) -> str:
    with pytest.raises(asyncpg.PostgresError) as caught:
        await conn.execute(sql)
    return str(caught.value)


async def test_the_service_role_appends_to_its_audit_log_but_cannot_change_it(
    intake_conn: asyncpg.Connection,
) -> None:
    assert await intake_conn.fetchval("SELECT current_user") == "kinlink_intake"
    await append(intake_conn, "intake", [entry(1), entry(2)])
    assert await intake_conn.fetchval("SELECT count(*) FROM intake.audit_log") == 2
    # Denied by privileges (the trigger's message is "append-only"): a role without the right
    # never reaches the trigger, and no trigger is all that stands in the way.
    for sql in (
        "UPDATE intake.audit_log SET action = 'x'",
        "DELETE FROM intake.audit_log",
        "TRUNCATE intake.audit_log",
        "INSERT INTO intake.audit_checkpoints (through_id, through_at, through_hash, removed,"
        " removed_total) VALUES (1, now(), 'x', 1, 1)",
        "DELETE FROM intake.audit_checkpoints",
        "UPDATE intake.schema_migrations SET checksum = 'x'",
    ):
        message = await refused(intake_conn, sql)
        assert PERMISSION_DENIED in message and "append-only" not in message, sql
    assert "must be owner" in await refused(
        intake_conn, "ALTER TABLE intake.audit_log DISABLE TRIGGER audit_log_guard"
    )
    assert "must be owner" in await refused(intake_conn, "DROP TRIGGER audit_log_guard"
                                                         " ON intake.audit_log")
    # Replica mode would skip every trigger, the chain's included: only a superuser may set it.
    assert PERMISSION_DENIED in await refused(
        intake_conn, "SET session_replication_role = replica"
    )
    assert PERMISSION_DENIED in await refused(intake_conn, "CREATE TEMP TABLE audit_log (id int)")
    assert PERMISSION_DENIED in await refused(intake_conn, "CREATE TABLE intake.extra (id int)")
    assert (await verify(intake_conn, "intake")).intact


async def test_a_service_role_cannot_reach_another_services_schema(
    migrated: CommonSettings,
) -> None:
    for service in SERVICES:
        conn = await asyncpg.connect(migrated.database_url_for(service))
        try:
            for other in SERVICES:
                if other == service:
                    continue
                for sql in (f"SELECT count(*) FROM {other}.audit_log",
                            f"SELECT count(*) FROM {other}.outbox",
                            f"SELECT * FROM {other}.audit_prune(now())"):
                    message = await refused(conn, sql)
                    assert f"permission denied for schema {other}" in message, (service, sql)
        finally:
            await conn.close()


async def test_retention_removes_old_audit_entries_as_the_service_role_and_verify_passes(
    migrated: CommonSettings, intake_conn: asyncpg.Connection
) -> None:
    await append(intake_conn, "intake", [entry(1), entry(2), entry(3)])
    pool = await create_pool(migrated.database_url_for("intake"), max_size=2)
    try:
        store = PostgresRetentionStore(pool, SchemaRegistry.load(), migrated.topic)
        # The service's role cannot prune what is younger than the owner's floor (a year),
        # whatever cutoff it asks for, nor lower the floor.
        soon = datetime.now(UTC) + timedelta(seconds=1)
        assert (await store.prune_audit(soon, dry_run=False)).removed == 0
        assert PERMISSION_DENIED in await refused(
            intake_conn, "UPDATE intake.audit_policy SET min_age = interval '0'"
        )
        assert migrated.database_migration_url is not None
        owner = await asyncpg.connect(migrated.database_migration_url)
        try:
            await owner.execute("UPDATE intake.audit_policy SET min_age = interval '0'")
        finally:
            await owner.close()
        # What RetentionJob.run does once entries are past KINLINK_RETENTION_AUDIT_DAYS.
        pruned = await store.prune_audit(datetime.now(UTC) + timedelta(seconds=1), dry_run=False)
    finally:
        await pool.close()
    assert pruned.removed == 3
    await append(intake_conn, "intake", [entry(4)])
    env = {"KINLINK_DATABASE_URL": migrated.database_url_for("intake"),
           "KINLINK_INTAKE_DATABASE_URL": migrated.database_url_for("intake")}
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["audit", "verify", "--schema", "intake"], env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert report["intact"] and report["entries"] == 1
    assert report["start_after"] == pruned.through_id


async def test_production_refuses_a_superuser_or_the_owner_and_accepts_the_service_role(
    migrated: CommonSettings,
) -> None:
    production = replace(migrated, environment="production", database_migration_url=None)
    for url, named in ((migrated.database_url, "superuser"),
                       (migrated.database_migration_url, "owns schema intake")):
        assert url is not None
        pool: Any = await create_pool(url, max_size=1)
        try:
            with pytest.raises(ProductionRefused) as caught:
                await prepare_schema(pool, production, "intake", migrations_of("intake"))
        finally:
            await pool.close()
        [refusal] = caught.value.refusals
        assert named in refusal and "KINLINK_DATABASE_URL" in refusal
    pool = await create_pool(migrated.database_url_for("intake"), max_size=1)
    try:
        await prepare_schema(pool, production, "intake", migrations_of("intake"))
    finally:
        await pool.close()


async def test_a_database_migrated_before_roles_existed_is_handed_to_the_owner(
    stack: TestStack,
) -> None:
    name = f"legacy_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(stack.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = stack.database_url(name)
    try:
        old = await asyncpg.connect(url)  # as the superuser, as every service did before
        try:
            await migrate(old, "intake", migrations_of("intake"))
        finally:
            await old.close()
        await prepare_local_database(url)  # what `kinlink up` does on its database
        conn = await asyncpg.connect(url_as(url, service_role("intake")))
        try:
            assert await migrate(conn, "intake", migrations_of("intake")) == []
            assert await conn.fetchval(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'intake'"
            ) == OWNER_ROLE
            assert PERMISSION_DENIED in await refused(conn, "DELETE FROM intake.audit_log")
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
