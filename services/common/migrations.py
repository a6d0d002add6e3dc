"""Numbered SQL migrations per service schema: applied in order, recorded, idempotent.

Each service owns one PostgreSQL schema. Migration files are `NNNN_name.sql`; they are run with
`search_path` set to the service schema, so they use unqualified table names. The shared
outbox/inbox tables (services/common/migrations) are applied into every schema first.
Applied files are recorded with a checksum: editing an applied file is refused, not re-run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

COMMON_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_SCHEMA = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class MigrationError(RuntimeError):
    """A migration is malformed or was changed after it was applied."""


@dataclass(frozen=True)
class Migration:
    version: str  # "<set>/<NNNN_name>", e.g. "common/0001_outbox_inbox"
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(sets: dict[str, Path]) -> list[Migration]:
    """Migrations of each named folder, folder by folder in the given order, files by number."""
    found: list[Migration] = []
    for set_name, folder in sets.items():
        for path in sorted(folder.glob("*.sql")):
            if not _FILE.match(path.name):
                raise MigrationError(f"{path}: migration files are named NNNN_lower_snake.sql")
            found.append(Migration(f"{set_name}/{path.stem}", path.read_text()))
    return found


async def migrate(conn: asyncpg.Connection, schema: str, service_dir: Path | None) -> list[str]:
    """Apply pending migrations (common first, then the service's) into `schema`.

    Concurrent callers are serialised by an advisory lock; returns the versions applied now.
    """
    if not _SCHEMA.match(schema):
        raise MigrationError(f"invalid schema name {schema!r}")
    sets = {"common": COMMON_MIGRATIONS}
    if service_dir is not None:
        sets["service"] = service_dir
    migrations = discover(sets)
    if not await _pending(conn, schema, migrations):
        return []  # the usual start of a service, whose own role may change no schema
    applied_now: list[str] = []
    lock_key = int.from_bytes(
        hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True
    )
    await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
    try:
        await _apply(conn, schema, migrations, applied_now)
    except asyncpg.InsufficientPrivilegeError as exc:
        user = await conn.fetchval("SELECT current_user")
        raise MigrationError(
            f"schema {schema} has pending migrations and role {user} may not apply them"
            f" ({exc}): run `kinlink migrate` as the owner role, or give the service"
            " KINLINK_DATABASE_MIGRATION_URL"
        ) from exc
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now


async def _pending(conn: asyncpg.Connection, schema: str, migrations: list[Migration]) -> bool:
    """Whether any migration is still to apply (read-only; a changed applied file is refused)."""
    if not await conn.fetchval(
        "SELECT to_regclass($1) IS NOT NULL", f'"{schema}".schema_migrations'
    ):
        return True
    rows = await conn.fetch(f'SELECT version, checksum FROM "{schema}".schema_migrations')
    done = {r["version"]: r["checksum"] for r in rows}
    for migration in migrations:
        if migration.version in done and done[migration.version] != migration.checksum:
            raise MigrationError(f"{migration.version} changed after it was applied")
    return any(m.version not in done for m in migrations)


async def _apply(
    conn: asyncpg.Connection, schema: str, migrations: list[Migration], applied_now: list[str]
) -> None:
    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    await conn.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
        " version text PRIMARY KEY, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    rows = await conn.fetch(f'SELECT version, checksum FROM "{schema}".schema_migrations')
    done = {r["version"]: r["checksum"] for r in rows}
    for migration in migrations:
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                raise MigrationError(f"{migration.version} changed after it was applied")
            continue
        async with conn.transaction():
            # pg_temp last: functions keep this path (SET search_path FROM CURRENT), and a
            # SECURITY DEFINER one must not look in the caller's temporary tables first.
            await conn.execute(f'SET LOCAL search_path TO "{schema}", public, pg_temp')
            await conn.execute(migration.sql)
            await conn.execute(
                f'INSERT INTO "{schema}".schema_migrations (version, checksum) VALUES ($1, $2)',
                migration.version,
                migration.checksum,
            )
        applied_now.append(migration.version)
