"""What every service's PostgreSQL repository shares: transactions over the pool, or over a
connection whose transaction the caller owns (the consumer runner, which claims the event in the
inbox in that same transaction), and the outbox door every transaction has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import asyncpg

from services.common.catalog import topic_for_type
from services.common.envelope import CloudEvent
from services.common.outbox import enqueue
from services.common.schema_registry import SchemaRegistry

TopicName = Callable[[str], str]  # logical topic name -> physical (the deployment's prefix)


class PostgresTransaction:
    """One transaction of a service's store: its connection, and `emit` into the outbox."""

    schema: str  # set by each service's subclass

    def __init__(
        self, conn: asyncpg.Connection, registry: SchemaRegistry, topic: TopicName
    ) -> None:
        self._conn = conn
        self._registry = registry
        self._topic = topic

    async def emit(self, event: CloudEvent) -> None:
        """Publish `event` if and only if this transaction commits (validated here, once)."""
        topic = self._topic(topic_for_type(event.type))
        await enqueue(self._conn, self.schema, event, topic, registry=self._registry)


T = TypeVar("T", bound=PostgresTransaction)


class PostgresStore(Generic[T]):
    """A service's tables: `transaction()` opens one, `in_transaction(conn)` joins the caller's."""

    transaction_class: type[T]  # set by each service's subclass

    def __init__(self, pool: Any, registry: SchemaRegistry, topic: TopicName) -> None:
        self._pool = pool
        self._registry = registry
        self._topic = topic

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[T]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield self.in_transaction(conn)

    def in_transaction(self, conn: asyncpg.Connection) -> T:
        return self.transaction_class(conn, self._registry, self._topic)
