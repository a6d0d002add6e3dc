"""What a use case answers, in domain terms, and how a keyed request's answer is kept.

A use case returns an `Outcome`: what happened (`Effect`), the body to show and the record it
concerns. HTTP adapters derive status codes and Location headers from it; they never reach the
use case. Keyed requests (`Idempotency-Key`) store their first outcome as a `StoredResponse`
in the same transaction as the change, and retries get it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from services.common.errors import InvalidInput


class Effect(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"
    READ = "read"


@dataclass(frozen=True)
class RecordRef:
    record_type: str  # e.g. "alert", "subscription", "review"
    record_id: str


@dataclass(frozen=True)
class Outcome:
    effect: Effect
    body: Any
    record: RecordRef | None = None


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    request_hash: str  # of what was asked, on what, with which body: a retry repeats all three


@dataclass(frozen=True)
class StoredResponse:
    """The first outcome of a keyed request: replayed to retries that repeat it exactly."""

    request_hash: str
    effect: str
    body: Any
    record_type: str | None
    record_id: str | None

    @classmethod
    def of(cls, idem: IdempotencyKey, outcome: Outcome) -> StoredResponse:
        ref = outcome.record
        return cls(
            idem.request_hash,
            outcome.effect.value,
            outcome.body,
            ref.record_type if ref else None,
            ref.record_id if ref else None,
        )

    def replay(self, idem: IdempotencyKey) -> Outcome:
        """The stored outcome, if the retry asks exactly what the first request asked."""
        if self.request_hash != idem.request_hash:
            raise InvalidInput(
                "This Idempotency-Key was already used with another request.",
                code="idempotency-key-reused",
            )
        ref = (
            RecordRef(self.record_type, self.record_id)
            if self.record_type and self.record_id
            else None
        )
        return Outcome(Effect(self.effect), self.body, ref)


class IdempotencyStore(Protocol):
    """The part of a service's transaction that keeps keyed requests' outcomes."""

    async def lock_idempotency_key(self, org_id: str, key: str) -> None:
        """Serialise concurrent requests with one key until the transaction ends."""

    async def stored_response(self, org_id: str, key: str) -> StoredResponse | None: ...

    async def store_response(self, org_id: str, key: str, response: StoredResponse) -> None: ...
