"""Least privilege in PostgreSQL: who owns the schemas, who runs migrations, what each service's
own login role may do.

- The owner role (`kinlink_owner`, not a superuser) owns the database and every service schema:
  it alone runs migrations (`kinlink migrate`, the local stack, or a service given
  KINLINK_DATABASE_MIGRATION_URL) and owns the SECURITY DEFINER `audit_prune` function.
- Each service connects as its own login role (`kinlink_intake`, `kinlink_correlator`,
  `kinlink_notifier`): USAGE on its own schema only; SELECT, INSERT, UPDATE, DELETE on its
  tables, but only SELECT and INSERT on `audit_log` and only SELECT on `audit_checkpoints` and
  `schema_migrations`; no TRUNCATE, no ownership (so no ALTER TABLE ... DISABLE TRIGGER); no
  TEMP tables (which a SECURITY DEFINER function could otherwise be tricked into reading).
  Removing audit entries past their period goes through `audit_prune`, which leaves a checkpoint
  and never removes an entry younger than the owner's floor (`audit_policy`, one year).

Grants are re-applied after every migration run, so a table a migration adds is covered at once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from services.common.config import CommonSettings
from services.common.migrations import migrate
from services.common.production import ProductionRefused, connection_refusals

OWNER_ROLE = "kinlink_owner"
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_AUDIT_TABLES = ("audit_log", "audit_checkpoints")


class RoleError(RuntimeError):
    """A role is missing or misnamed: provisioning (not the service) must fix it."""


def service_role(service: str) -> str:
    """The login role a service connects as, unless its database URL names another."""
    return f"kinlink_{service}"


def role_in_url(url: str, service: str) -> str:
    """The role `url` logs in as (the service's conventional role if the URL names none)."""
    return urlsplit(url).username or service_role(service)


def url_as(url: str, role: str, password: str | None = None) -> str:
    """`url` logging in as `role` (with `password`, if given) instead of its own user."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    credentials = f"{role}:{password}" if password else role
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}{port}"))


def _ident(role: str) -> str:
    if not _ROLE.match(role):
        raise RoleError(f"invalid role name {role!r}")
    return f'"{role}"'


async def grant_service_role(conn: asyncpg.Connection, schema: str, role: str) -> None:
    """Give `role` what the service owning `schema` needs, and nothing more (run as the owner)."""
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        raise RoleError(
            f"role {role} does not exist: create it (a LOGIN role, not a superuser) before"
            " migrating; see README, Security"
        )
    r, s = _ident(role), _ident(schema)
    async with conn.transaction():
        await conn.execute(f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC")
        await conn.execute(f"GRANT USAGE ON SCHEMA {s} TO {r}")
        await conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}")
        await conn.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}"
        )
        await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}")
        await conn.execute(
            f"REVOKE INSERT, UPDATE, DELETE ON {s}.schema_migrations FROM {r}"
        )
        for table in _AUDIT_TABLES:
            if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.{table}"):
                await conn.execute(f"REVOKE UPDATE, DELETE ON {s}.{table} FROM {r}")
        await conn.execute(f"REVOKE INSERT ON {s}.audit_checkpoints FROM {r}")
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.audit_policy"):
            # The pruning floor is the owner's to set: a service may only read it.
            await conn.execute(f"REVOKE INSERT, UPDATE, DELETE ON {s}.audit_policy FROM {r}")
        await conn.execute(
            f"REVOKE EXECUTE ON FUNCTION {s}.audit_prune(timestamptz) FROM PUBLIC"
        )
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.audit_log"):
            await conn.execute(f"GRANT EXECUTE ON FUNCTION {s}.audit_prune(timestamptz) TO {r}")


async def migrate_as_owner(owner_url: str, schema: str, service_dir: Path | None,
                           role: str | None) -> list[str]:
    """Migrate `schema` over the owner's connection, then grant `role` (unless it is the owner,
    as in a development database where one role does everything). Returns the versions applied."""
    conn = await asyncpg.connect(owner_url)
    try:
        applied = await migrate(conn, schema, service_dir)
        if role is not None and role != await conn.fetchval("SELECT current_user"):
            await grant_service_role(conn, schema, role)
        return applied
    finally:
        await conn.close()


async def prepare_schema(
    pool: Any, common: CommonSettings, schema: str, service_dir: Path | None
) -> None:
    """A service's start: its schema migrated (as the owner, if KINLINK_DATABASE_MIGRATION_URL
    is set; else over its own connection, which then only checks that nothing is pending) and
    its own connection acceptable for the environment (production refuses a superuser)."""
    async with pool.acquire() as conn:
        refusals = await connection_refusals(conn, common, schema)
        if refusals:
            raise ProductionRefused(refusals)
        if common.database_migration_url:
            role = await conn.fetchval("SELECT current_user")
            await migrate_as_owner(common.database_migration_url, schema, service_dir, role)
        await migrate(conn, schema, service_dir)


async def provision(
    admin: asyncpg.Connection,
    database: str,
    services: tuple[str, ...],
    passwords: Mapping[str, str] | None = None,
) -> None:
    """As a superuser (the local stack, the test run; CNPG's managed roles in a cluster): create
    the owner and service roles if missing, give the owner the database, and let only these
    roles connect. `passwords` maps role names to passwords (none: trust/peer auth)."""
    passwords = passwords or {}
    for role in (OWNER_ROLE, *(service_role(s) for s in services)):
        await _create_role(admin, role, passwords.get(role))
    db = _ident(database) if _ROLE.match(database) else f'"{database}"'
    await admin.execute(f"ALTER DATABASE {db} OWNER TO {_ident(OWNER_ROLE)}")
    # PUBLIC's default CONNECT and TEMP go: only the listed roles connect, none makes temp tables.
    await admin.execute(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    for service in services:
        await admin.execute(f"GRANT CONNECT ON DATABASE {db} TO {_ident(service_role(service))}")


async def _create_role(admin: asyncpg.Connection, role: str, password: str | None) -> None:
    options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        # created meanwhile by another provisioning run: as good
        with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            await admin.execute(f"CREATE ROLE {_ident(role)} {options}")
    if password is not None:
        # A literal: ALTER ROLE takes no parameters. Quotes doubled, as SQL escapes them.
        literal = "'" + password.replace("'", "''") + "'"
        await admin.execute(f"ALTER ROLE {_ident(role)} PASSWORD {literal}")


async def adopt_schema(admin: asyncpg.Connection, schema: str) -> None:
    """As a superuser: hand an existing schema, and what is in it, to the owner role (a database
    migrated before there were roles, when everything belonged to the superuser)."""
    owner = _ident(OWNER_ROLE)
    if not await admin.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
        return
    await admin.execute(f"ALTER SCHEMA {_ident(schema)} OWNER TO {owner}")
    # Tables first: their column sequences follow them (and may not be moved on their own).
    for kinds in ("rp", "S"):
        rows = await admin.fetch(
            "SELECT c.oid::regclass::text AS name FROM pg_class c"
            " WHERE c.relnamespace = $1::regnamespace AND c.relkind::text = ANY($2::text[])"
            " AND c.relowner <> $3::regrole",
            schema, list(kinds), OWNER_ROLE,
        )
        for row in rows:
            await admin.execute(f"ALTER TABLE {row['name']} OWNER TO {owner}")
    functions = await admin.fetch(
        "SELECT p.oid::regprocedure::text AS name FROM pg_proc p"
        " WHERE p.pronamespace = $1::regnamespace AND p.proowner <> $2::regrole",
        schema, OWNER_ROLE,
    )
    for row in functions:
        await admin.execute(f"ALTER FUNCTION {row['name']} OWNER TO {owner}")
