"""Audit entries past their period leave the chain of the service that wrote them.

SIS keeps its access logs for three years (Regulation (EU) 2018/1862, Art. 12), then deletes
them; Kinlink does the same in every service. Intake's retention job prunes intake's log along
with the records it erases; the correlator and the notifier, whose logs hold reviews, erasures
and every read of a match, run this worker: one prune at start, then one every interval, each
through `audit_chain.prune` (the owner's `audit_prune` function leaves a checkpoint, so
`kinlink audit verify` still passes). A prune that fails on the database is retried at the next
interval; anything else is a bug and crashes the worker loudly (`services.common.workers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from services.common.audit_chain import Pruned, prune
from services.common.config import env_float, env_int
from services.common.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class AuditRetention:
    """KINLINK_RETENTION_AUDIT_DAYS (1096: keep audit entries this long) and
    KINLINK_RETENTION_INTERVAL (3600 s between prunes): the keys intake's retention job reads,
    so one setting governs every service's log."""

    keep: timedelta = timedelta(days=1096)
    interval_seconds: float = 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuditRetention:
        env = os.environ if env is None else env
        return cls(
            keep=timedelta(days=env_int(env, "KINLINK_RETENTION_AUDIT_DAYS", 1096)),
            interval_seconds=env_float(env, "KINLINK_RETENTION_INTERVAL", 3600.0),
        )


def _now() -> datetime:
    return datetime.now(UTC)


class AuditPruneWorker:
    """Prunes one schema's audit log of the entries older than the retention period."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        retention: AuditRetention,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._retention = retention
        self._clock = clock
        self._stopping = asyncio.Event()

    async def prune_once(self) -> Pruned:
        async with self._pool.acquire() as conn:
            pruned = await prune(conn, self._schema, self._clock() - self._retention.keep)
        if pruned.removed:
            log.info("audit entries pruned", schema=self._schema, removed=pruned.removed,
                     through_id=pruned.through_id)
        return pruned

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.prune_once()
            except (OSError, asyncpg.exceptions.PostgresConnectionError,
                    asyncpg.exceptions.InterfaceError) as exc:
                log.warning("audit prune failed; retrying at the next interval",
                            schema=self._schema, error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=self._retention.interval_seconds
                )

    def stop(self) -> None:
        self._stopping.set()
