"""Checking and trimming the hash chain of a service's audit log.

`verify` recomputes every entry's SHA-256 in Python, independently of the database function that
made it, from the latest checkpoint (or the start): an altered entry no longer matches its hash,
and an inserted or removed one breaks the link `prev_hash` -> hash of the entry before. The
newest hash (the head) is reported so that it can be anchored outside the database: only an
anchor shows that the newest entries were cut off.

`prune` removes the entries older than the retention period as a prefix of the chain, through the
schema owner's SECURITY DEFINER function `audit_prune` (services' roles have no DELETE on the
audit log): it first records a checkpoint with the id and hash of the last entry removed (the
database refuses to delete an entry no checkpoint covers), so the remaining chain stays
verifiable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

GENESIS = "0" * 64
_BATCH = 5000
_FIELDS = (
    "org_id", "org_kind", "subject", "action", "record_type", "record_id", "request_id", "detail"
)


def _field(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def canonical_text(entry_id: int, at: datetime, values: Sequence[str | None], prev: str) -> str:
    """The text the hash covers (as `audit_entry_hash` in 0002_audit_chain.sql builds it)."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return "|".join(_field(v) for v in (str(entry_id), stamp, *values, prev))


def entry_hash(entry_id: int, at: datetime, values: Sequence[str | None], prev: str) -> str:
    text = canonical_text(entry_id, at, values, prev)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ChainReport:
    schema: str
    entries: int = 0
    start_after: int = 0  # the id of the last entry removed (0: the chain starts at the genesis)
    head_id: int | None = None
    head_hash: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema, "intact": self.intact, "entries": self.entries,
            "start_after": self.start_after, "head_id": self.head_id,
            "head_hash": self.head_hash, "problems": self.problems,
        }


async def _checkpoint(conn: asyncpg.Connection, schema: str) -> tuple[int, str]:
    row = await conn.fetchrow(
        f'SELECT through_id, through_hash FROM "{schema}".audit_checkpoints'
        " ORDER BY id DESC LIMIT 1"
    )
    return (row["through_id"], row["through_hash"]) if row else (0, GENESIS)


async def verify(conn: asyncpg.Connection, schema: str) -> ChainReport:
    """Recompute the chain of `schema`.audit_log; every break is named in `problems`."""
    start, expected_prev = await _checkpoint(conn, schema)
    report = ChainReport(schema, start_after=start)
    previous_id: int | None = None
    after = start
    leftover = await conn.fetchval(
        f'SELECT count(*) FROM "{schema}".audit_log WHERE id <= $1', start
    )
    if leftover:
        report.problems.append(f"{leftover} entries a checkpoint covers were not removed")
    while True:
        rows = await conn.fetch(
            f'SELECT id, at, prev_hash, hash, {", ".join(_FIELDS)} FROM "{schema}".audit_log'
            " WHERE id > $1 ORDER BY id LIMIT $2",
            after,
            _BATCH,
        )
        for row in rows:
            _check(report, row, expected_prev, previous_id)
            expected_prev, previous_id = row["hash"], row["id"]
            report.entries += 1
        if len(rows) < _BATCH:
            break
        after = rows[-1]["id"]
    report.head_id, report.head_hash = previous_id, expected_prev if previous_id else None
    return report


def _check(
    report: ChainReport, row: asyncpg.Record, expected_prev: str, previous_id: int | None
) -> None:
    entry_id = row["id"]
    before = f"entry {previous_id}" if previous_id is not None else "the chain's start"
    if row["prev_hash"] != expected_prev:
        report.problems.append(
            f"entry {entry_id} does not follow {before}: an entry was inserted or removed"
        )
    computed = entry_hash(entry_id, row["at"], [row[f] for f in _FIELDS], row["prev_hash"])
    if computed != row["hash"]:
        report.problems.append(f"entry {entry_id} does not match its hash: it was altered")


@dataclass(frozen=True)
class Pruned:
    schema: str
    removed: int
    through_id: int | None


async def prune(
    conn: asyncpg.Connection, schema: str, before: datetime, *, dry_run: bool = False
) -> Pruned:
    """Remove the entries made before `before` (a prefix of the chain), leaving a checkpoint;
    never one younger than the floor the schema's owner set in `audit_policy`.

    Runs in its own transaction under the chain's append lock, so no entry is added meanwhile.
    """
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{schema}.audit_log"
        )
        # No entry younger than the owner's floor goes, whatever is asked (0004_audit_prune_floor).
        floor = await conn.fetchval(
            f'SELECT least($1::timestamptz, now() - min_age) FROM "{schema}".audit_policy', before
        )
        last = await conn.fetchrow(
            f'SELECT id, at, hash FROM "{schema}".audit_log WHERE at < $1'
            " ORDER BY id DESC LIMIT 1",
            floor,
        )
        if last is None:
            return Pruned(schema, 0, None)
        count = await conn.fetchval(
            f'SELECT count(*) FROM "{schema}".audit_log WHERE id <= $1', last["id"]
        )
        if dry_run:
            return Pruned(schema, count, last["id"])
        # The service roles may not DELETE from the audit log: the owner's SECURITY DEFINER
        # function writes the checkpoint and removes the prefix (0003_audit_prune.sql).
        row = await conn.fetchrow(f'SELECT * FROM "{schema}".audit_prune($1)', before)
        return Pruned(schema, row["removed_count"], row["last_removed_id"])
