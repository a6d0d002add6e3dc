"""The two implementations of a service's store side by side, for the repository contract tests.

`Store` is what a contract test sees: the repository behind its port and a way to read back the
events its committed transactions emitted (the fake keeps a list; PostgreSQL has the outbox).
The PostgreSQL side gets a fresh database with the service's migrations applied (no Kafka
topics: a repository never talks to the broker).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg
import pytest

from services.common.db import create_pool
from services.common.envelope import CloudEvent, from_structured
from services.common.migrations import migrate
from tests.stack_fixtures import TestStack

Repository = TypeVar("Repository", covariant=True)
Emitted = list[tuple[str, CloudEvent]]  # (physical topic, event), in the order written

TOPIC_PREFIX = "contract."


def topic(name: str) -> str:
    """The physical topic name both implementations are given."""
    return TOPIC_PREFIX + name


@dataclass(frozen=True)
class Store(Generic[Repository]):
    kind: str  # "memory" | "postgres"
    repository: Repository
    emitted: Callable[[], Awaitable[Emitted]]


@asynccontextmanager
async def migrated_pool(stack: TestStack, schema: str, migrations: Path) -> AsyncIterator[Any]:
    """A pool on a new database holding `schema` with its migrations; dropped afterwards."""
    name = f"contract_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(stack.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    pool = await create_pool(stack.database_url(name), min_size=1, max_size=3)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, schema, migrations)
        yield pool
    finally:
        await pool.close()
        admin = await asyncpg.connect(stack.admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def open_store(
    request: pytest.FixtureRequest,
    schema: str,
    migrations: Path,
    *,
    memory: Callable[[], Any],
    postgres: Callable[[Any], Repository],
) -> AsyncIterator[Store[Repository]]:
    """The store `request.param` names: the fake `memory()` makes (its outbox is a list in
    `tables.outbox`), or the real one `postgres(pool)` makes on a fresh migrated database."""
    if request.param == "memory":
        fake = memory()

        async def listed() -> Emitted:
            return list(fake.tables.outbox)

        yield Store("memory", fake, listed)
        return
    async with migrated_pool(request.getfixturevalue("stack"), schema, migrations) as pool:

        async def outbox() -> Emitted:
            rows = await pool.fetch(f'SELECT topic, event FROM "{schema}".outbox ORDER BY id')
            return [(row["topic"], from_structured(row["event"])) for row in rows]

        yield Store("postgres", postgres(pool), outbox)
