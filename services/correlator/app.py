"""Composition root of the correlator: pool, migrations, engine, consumer, outbox relay, HTTP.

HTTP serves only operations: /healthz, /readyz and Prometheus /metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from services.common.consumer import ConsumerRunner
from services.common.db import create_pool
from services.common.logging import get_logger
from services.common.migrations import migrate
from services.common.outbox import OutboxRelay
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.common.topics import ALERTS, REGISTRATIONS, REVIEWS, SIGHTINGS
from services.correlator.config import CorrelatorSettings
from services.correlator.domain.engine import MatchEngine
from services.correlator.handlers import Correlator
from services.correlator.repository import SCHEMA

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SETTINGS = web.AppKey("settings", CorrelatorSettings)
STATE = web.AppKey("state", dict)
ACTIVE_ALERTS = Gauge("kinlink_correlator_active_alerts", "Active alerts in the in-memory index")
log = get_logger(__name__)


class CorrelatorService:
    """The running parts of one correlator instance, started and stopped together."""

    def __init__(self, settings: CorrelatorSettings) -> None:
        self.settings = settings
        self.pool: Any = None
        self.producer: EventProducer | None = None
        self.runner: ConsumerRunner | None = None
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        common = self.settings.common
        registry = SchemaRegistry.load()
        self.pool = await create_pool(common.database_url, max_size=5)
        async with self.pool.acquire() as conn:
            await migrate(conn, SCHEMA, MIGRATIONS)
        engine = MatchEngine(threshold=self.settings.threshold)
        correlator = Correlator(engine, common, self.settings.max_backfill, registry)
        async with self.pool.acquire() as conn:
            await correlator.load(conn)
        ACTIVE_ALERTS.set_function(lambda: engine.active_alerts)
        self.producer = EventProducer(common, registry, client_id=self.settings.group_id)
        await self.producer.start()
        self.relay = OutboxRelay(self.pool, SCHEMA, self.producer)
        self.runner = ConsumerRunner(
            settings=common,
            group_id=self.settings.group_id,
            topics=[ALERTS, REGISTRATIONS, SIGHTINGS, REVIEWS],
            handler=correlator.handle,
            pool=self.pool,
            schema=SCHEMA,
            registry=registry,
            dlq=self.producer,
        )
        self._tasks = [
            asyncio.create_task(self.runner.run(), name="correlator-consumer"),
            asyncio.create_task(self.relay.run(), name="correlator-relay"),
        ]

    async def wait(self) -> None:
        """Return when a part stops; re-raise its error (a bug must stop the process)."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()

    async def stop(self) -> None:
        """Drain: finish the event in hand, commit, publish what the outbox holds, close."""
        if self.runner is not None:
            self.runner.stop()
        if self._tasks:
            await asyncio.gather(self._tasks[0], return_exceptions=True)
        if self.relay is not None:
            self.relay.stop()
        await asyncio.gather(*self._tasks[1:], return_exceptions=True)
        if self.producer is not None:
            await self.producer.stop()
        if self.pool is not None:
            await self.pool.close()

    async def ready(self) -> bool:
        try:
            async with self.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
        return all(not t.done() for t in self._tasks)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    service: CorrelatorService = request.app[STATE]["service"]
    ok = await service.ready()
    return web.json_response({"ready": ok}, status=200 if ok else 503)


async def metrics(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(settings: CorrelatorSettings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[STATE] = {}

    async def service_ctx(app: web.Application) -> AsyncIterator[None]:
        service = CorrelatorService(settings)
        await service.start()
        app[STATE]["service"] = service
        yield
        await service.stop()

    app.cleanup_ctx.append(service_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
