"""Intake's composition root: `create_app(settings)` wires pool, relay, service and routes.

Nothing connects at import time; the pool, the migrations and the outbox relay live in the
application's cleanup context, so shutdown drains the relay after in-flight requests finish.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from aiokafka.errors import KafkaError

from services.common.db import create_pool
from services.common.http_server import standard_middlewares
from services.common.logging import get_logger
from services.common.metrics import OUTBOX_BACKLOG, OUTBOX_LAG_SECONDS
from services.common.migrations import migrate
from services.common.outbox import OutboxRelay
from services.common.producer import EventProducer
from services.common.schema_registry import SCHEMAS_ROOT, SchemaRegistry
from services.intake.config import SCHEMA, IntakeSettings
from services.intake.handlers import IntakeService
from services.intake.http import (
    OPENAPI,
    OUTBOX_PROBE,
    READINESS,
    SERVICE,
    SETTINGS,
    VERIFIER,
    add_routes,
)
from services.intake.openapi import load_bundled
from services.intake.validation import ALL_BODY_SCHEMAS

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
OPENAPI_FILE = SCHEMAS_ROOT / "openapi.yaml"
log = get_logger(__name__)


class RelayRunner:
    """Keeps the outbox relay running: waits for Kafka if it is down at start-up, then publishes
    until stopped, finishing the batch in hand."""

    def __init__(self, pool: Any, settings: IntakeSettings, registry: SchemaRegistry) -> None:
        self._pool = pool
        self._settings = settings
        self._registry = registry
        self._stopping = asyncio.Event()
        self._relay: OutboxRelay | None = None

    def stop(self) -> None:
        self._stopping.set()
        if self._relay is not None:
            self._relay.stop()

    async def run(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            producer = EventProducer(
                self._settings.common, self._registry, client_id="intake-relay"
            )
            try:
                await producer.start()
            except (KafkaError, OSError) as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                log.warning("kafka unavailable for the outbox relay", error=type(exc).__name__)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                delay = min(10.0, delay * 2)
                continue
            try:
                self._relay = OutboxRelay(
                    self._pool, SCHEMA, producer, poll_interval=self._settings.relay_poll_interval
                )
                if self._stopping.is_set():
                    self._relay.stop()
                await self._relay.run()
            finally:
                await producer.stop()
            return


async def kafka_reachable(bootstrap: str, connect_timeout: float = 1.0) -> bool:
    """Whether any bootstrap server accepts a TCP connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            connecting = asyncio.open_connection(host, int(port))
            _, writer = await asyncio.wait_for(connecting, connect_timeout)
        except (TimeoutError, OSError, ValueError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


async def database_ready(pool: Any) -> bool:
    try:
        async with asyncio.timeout(2.0), pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT 1") == 1)
    except Exception:  # whatever fails, the database is not usable now
        return False


async def refresh_outbox_metrics(pool: Any) -> None:
    """Backlog and lag from the table itself: the relay cannot update them while Kafka is down."""
    try:
        async with asyncio.timeout(2.0), pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at)) AS lag"
                f' FROM "{SCHEMA}".outbox WHERE sent_at IS NULL'
            )
    except Exception:  # metrics must still be served when the database is not
        return
    OUTBOX_BACKLOG.labels(SCHEMA).set(row["n"])
    OUTBOX_LAG_SECONDS.labels(SCHEMA).set(float(row["lag"] or 0.0))


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        # A bug, not a transient failure (those are retried inside): say so loudly;
        # /readyz turns 503 so that the orchestrator restarts the service.
        log.critical("outbox relay crashed", exc_info=task.exception())


def create_app(settings: IntakeSettings, registry: SchemaRegistry | None = None) -> web.Application:
    schemas = registry or SchemaRegistry.load()
    for schema_id in ALL_BODY_SCHEMAS:
        schemas.validator(schema_id)  # compile once, and fail at start if a schema is missing
    app = web.Application(
        middlewares=standard_middlewares("intake"), client_max_size=settings.max_body_bytes
    )
    app[SETTINGS] = settings
    app[VERIFIER] = settings.auth.verifier()
    app[OPENAPI] = load_bundled(OPENAPI_FILE, schemas)
    add_routes(app)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        pool = await create_pool(settings.common.database_url, max_size=10)
        try:
            async with pool.acquire() as conn:
                await migrate(conn, SCHEMA, MIGRATIONS)
            app[SERVICE] = IntakeService(pool, schemas, settings)

            runner = RelayRunner(pool, settings, schemas) if settings.run_relay else None
            task = asyncio.create_task(runner.run()) if runner else None
            if task is not None:
                task.add_done_callback(_report_crash)

            async def readiness() -> dict[str, bool]:
                checks = {
                    "database": await database_ready(pool),
                    "kafka": await kafka_reachable(settings.common.kafka_bootstrap),
                }
                if task is not None:
                    checks["outbox_relay"] = not task.done()
                return checks

            app[READINESS] = readiness

            async def outbox_probe() -> None:
                await refresh_outbox_metrics(pool)

            app[OUTBOX_PROBE] = outbox_probe
            try:
                yield
            finally:
                if runner is not None and task is not None:
                    runner.stop()
                    # asyncio.wait, not wait_for: a crash was already reported by its callback
                    await asyncio.wait([task], timeout=settings.shutdown_grace_seconds)
                    if not task.done():
                        task.cancel()
                        await asyncio.wait([task])  # let it close its producer
                        log.warning("outbox relay did not drain in time; rows stay for next start")
        finally:
            await pool.close()

    app.cleanup_ctx.append(resources)
    return app
