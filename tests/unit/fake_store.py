"""What the in-memory repositories share: one transaction at a time, all or nothing, JSON values
stored as PostgreSQL stores jsonb, and an outbox that validates like the real one.

The fakes serialise transactions (one at a time, in arrival order), which is stricter than
PostgreSQL's read committed and gives the same results wherever the real store takes a lock.
State is copied when a transaction begins and put back if it raises, so a failed use case leaves
nothing behind. Counters that PostgreSQL draws from sequences (audit ids, change_seq) are not
rolled back, as sequences are not.
"""

from __future__ import annotations

import asyncio
import copy
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, Protocol, TypeVar

import asyncpg

from services.common.catalog import topic_for_type
from services.common.envelope import CloudEvent, from_structured, to_structured
from services.common.schema_registry import SchemaRegistry

State = TypeVar("State")


def stored_json(value: Any) -> Any:
    """`value` as it comes back from a jsonb column: a fresh copy, and the same refusals (the
    pool's codec cannot encode non-JSON values or unpaired surrogates; jsonb cannot hold NUL)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise asyncpg.DataError("invalid input for query argument: not UTF-8") from None
    copied = json.loads(text)
    if _has_nul(copied):
        raise asyncpg.exceptions.UntranslatableCharacterError("unsupported Unicode escape sequence")
    return copied


def stored_text(value: str) -> str:
    """`value` as a text column keeps it, with the same refusals (asyncpg cannot encode an
    unpaired surrogate; PostgreSQL text cannot hold NUL)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise asyncpg.DataError("invalid input for query argument: not UTF-8") from None
    if "\x00" in value:
        raise asyncpg.exceptions.CharacterNotInRepertoireError(
            'invalid byte sequence for encoding "UTF8": 0x00'
        )
    return value


def _has_nul(node: Any) -> bool:
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(_has_nul(key) or _has_nul(value) for key, value in node.items())
    if isinstance(node, list):
        return any(_has_nul(item) for item in node)
    return False


OutboxRows = list[tuple[str, CloudEvent]]


def enqueue(
    rows: OutboxRows, event: CloudEvent, registry: SchemaRegistry, topic: Callable[[str], str]
) -> None:
    """As the real `emit` (services.common.outbox.enqueue): the event's physical topic, its data
    validated against its schema, one row per event id; kept as it would be read back."""
    physical = topic(topic_for_type(event.type))
    registry.check_data(event.type, event.data)
    if any(stored.id == event.id for _, stored in rows):
        raise asyncpg.UniqueViolationError("duplicate event_id in the outbox")
    rows.append((physical, from_structured(stored_json(to_structured(event)))))


class TransactionGate(Generic[State]):
    """Runs one transaction at a time over `state`; restores the state if the block raises."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[State]:
        async with self._lock:
            snapshot = copy.deepcopy(self.state)
            try:
                yield self.state
            except BaseException:
                self.state = snapshot
                raise


class Closable:
    """A transaction handle that refuses work once its transaction has ended (as a released
    connection would)."""

    closed = False

    def _check_open(self) -> None:
        if self.closed:
            raise asyncpg.InterfaceError("the transaction has ended")


class HasOutbox(Protocol):
    outbox: OutboxRows


Tables = TypeVar("Tables", bound=HasOutbox)
Tx = TypeVar("Tx", bound=Closable)


class MemoryStore(ABC, Generic[Tables, Tx]):
    """What every in-memory repository does alike: its tables behind one transaction gate, a
    transaction handle that closes when the transaction ends, and the events committed so far.
    Each fake says how to open its own handle (`_open`)."""

    def __init__(
        self, registry: SchemaRegistry, topic: Callable[[str], str], tables: Tables
    ) -> None:
        self.registry = registry
        self.topic = topic
        self._gate = TransactionGate(tables)

    @property
    def tables(self) -> Tables:
        return self._gate.state

    @property
    def emitted(self) -> list[CloudEvent]:
        return [event for _, event in self.tables.outbox]

    @abstractmethod
    def _open(self, tables: Tables) -> Tx:
        """A transaction handle over `tables`."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._gate.begin() as tables:
            tx = self._open(tables)
            try:
                yield tx
            finally:
                tx.closed = True
