"""The correlator's composition root: `create_app(settings)` wires pool, engine, consumer, outbox
relay and the operations routes.

Nothing connects at import time. The pool, the migrations, the engine's tables and index, the
consumer and the relay live in the application's cleanup context: on shutdown the consumer
finishes the event in hand and commits, then the relay publishes what the outbox holds.
HTTP serves only operations: /healthz, /readyz and Prometheus /metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from prometheus_client import Gauge

from services.common.audit_retention import AuditPruneWorker
from services.common.consumer import ConsumerRunner
from services.common.db import create_pool
from services.common.health import database_ready, kafka_reachable
from services.common.http_server import (
    METRICS_PROBES,
    READINESS_CHECKS,
    add_ops_routes,
    standard_middlewares,
)
from services.common.outbox import RelayRunner
from services.common.outbox_backlog import refresh_backlog_metrics
from services.common.producer import EventProducer
from services.common.roles import prepare_schema
from services.common.schema_registry import SchemaRegistry
from services.common.workers import WORKERS, Workers
from services.correlator.config import SCHEMA, CorrelatorSettings
from services.correlator.consumers import TOPICS, EventDispatcher
from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.names import warm_up as warm_up_names
from services.correlator.handlers import CorrelatorHandlers
from services.correlator.metrics import count_published
from services.correlator.postgres import PostgresCorrelatorRepository
from services.correlator.tables import load_tables

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ACTIVE_ALERTS = Gauge("kinlink_correlator_active_alerts", "Active alerts in the in-memory index")


def create_app(settings: CorrelatorSettings) -> web.Application:
    app = web.Application(middlewares=standard_middlewares("correlator"))
    add_ops_routes(app)
    app[WORKERS] = Workers()

    async def resources(app: web.Application) -> AsyncIterator[None]:
        common = settings.common
        registry = SchemaRegistry.load()
        # First, in a thread (the event loop stays free), and before any database session is
        # opened: it takes minutes on a busy machine, and a session opened before it could be
        # cut meanwhile (found by the chaos run: a PostgreSQL restart during the warm-up
        # crashed the start-up on a dead pool connection).
        await asyncio.to_thread(warm_up_names)
        pool = await create_pool(common.database_url_for(SCHEMA), max_size=5)
        dead_letters = EventProducer(common, registry, client_id=f"{settings.group_id}-dlq")
        workers = app[WORKERS]
        dead_letters_started = False
        try:
            await prepare_schema(pool, common, SCHEMA, MIGRATIONS)
            repository = PostgresCorrelatorRepository(pool, registry, common.topic)
            engine = MatchEngine(load_tables(), threshold=settings.threshold)
            handlers = CorrelatorHandlers(engine, settings.max_backfill)
            async with repository.transaction() as tx:
                await handlers.load(tx)
            ACTIVE_ALERTS.set_function(lambda: engine.active_alerts)
            await dead_letters.start()
            dead_letters_started = True
            consumer = ConsumerRunner(
                settings=common,
                group_id=settings.group_id,
                topics=TOPICS,
                handler=EventDispatcher(handlers, repository).handle,
                pool=pool,
                schema=SCHEMA,
                registry=registry,
                dlq=dead_letters,
            )
            workers.start("consumer", consumer)
            workers.start(
                "outbox_relay",
                RelayRunner(
                    pool,
                    SCHEMA,
                    common,
                    registry,
                    client_id=settings.group_id,
                    on_published=count_published,
                ),
            )
            workers.start(
                "audit_retention", AuditPruneWorker(pool, SCHEMA, settings.audit_retention)
            )
            app[READINESS_CHECKS].update(
                database=lambda: database_ready(pool),
                kafka=lambda: kafka_reachable(common.kafka_bootstrap),
                **workers.readiness_checks(),
            )
            app[METRICS_PROBES].append(lambda: refresh_backlog_metrics(pool, SCHEMA))
            yield
        finally:
            await workers.drain(settings.shutdown_grace_seconds)
            if dead_letters_started:
                await dead_letters.stop()
            await pool.close()

    app.cleanup_ctx.append(resources)
    return app
