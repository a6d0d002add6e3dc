"""The notifier's composition root: `create_app(settings)` wires pool, store, use cases, the
consumer, the outbox relay, the webhook deliverer, the deadline worker, the SSE hub and routes.

Nothing connects at import time; everything lives in the application's cleanup context. On
shutdown open SSE streams end (clients resume elsewhere with Last-Event-ID), then the workers
drain in start order: the consumer commits its last event before the relay publishes the outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from services.common.audit_retention import AuditPruneWorker
from services.common.consumer import ConsumerRunner
from services.common.cors import CORS_ORIGINS, cors_headers, preflight
from services.common.db import create_pool
from services.common.health import database_ready, kafka_reachable
from services.common.http_requests import VERIFIER
from services.common.http_server import (
    METRICS_PROBES,
    READINESS_CHECKS,
    add_ops_routes,
    standard_middlewares,
)
from services.common.openapi import load_bundled, query_guard
from services.common.outbox import RelayRunner
from services.common.outbox_backlog import refresh_backlog_metrics
from services.common.producer import EventProducer
from services.common.rate_limit import RATE_LIMITS, RateLimits
from services.common.roles import prepare_schema
from services.common.schema_registry import SCHEMAS_ROOT, SchemaRegistry
from services.common.workers import WORKERS, Workers
from services.notifier.config import SCHEMA, NotifierSettings
from services.notifier.consumers import TOPICS, EventDispatcher
from services.notifier.delivery import WebhookDeliverer
from services.notifier.escalation import EscalationWorker
from services.notifier.handlers import NotifierHandlers
from services.notifier.http import (
    HANDLERS,
    HUB,
    INTAKE_CLIENT,
    OPENAPI,
    SETTINGS,
    add_routes,
    security_headers,
)
from services.notifier.postgres import PostgresNotifierRepository
from services.notifier.routing import Router
from services.notifier.stream import NotificationHub

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
OPENAPI_FILE = SCHEMAS_ROOT / "notifier.openapi.yaml"
Clock = Callable[[], datetime]


def create_app(
    settings: NotifierSettings,
    registry: SchemaRegistry | None = None,
    clock: Clock = lambda: datetime.now(UTC),
) -> web.Application:
    schemas = registry or SchemaRegistry.load()
    openapi = load_bundled(OPENAPI_FILE, schemas)
    app = web.Application(
        middlewares=[preflight, *standard_middlewares("notifier"), query_guard(openapi)],
        client_max_size=settings.max_body_bytes,
    )
    app[CORS_ORIGINS] = settings.cors_origins
    app[SETTINGS] = settings
    app[VERIFIER] = settings.auth.verifier()
    app[RATE_LIMITS] = RateLimits(settings.rate_limits)
    app[OPENAPI] = openapi
    app[WORKERS] = Workers()
    add_routes(app)
    add_ops_routes(app)
    app.on_response_prepare.append(security_headers)
    app.on_response_prepare.append(cors_headers)

    app.cleanup_ctx.append(partial(_resources, settings=settings, schemas=schemas, clock=clock))
    app.on_shutdown.append(_end_streams)
    return app


async def _resources(
    app: web.Application, *, settings: NotifierSettings, schemas: SchemaRegistry, clock: Clock
) -> AsyncIterator[None]:
    common = settings.common
    pool = await create_pool(common.database_url_for(SCHEMA), max_size=10)
    workers = app[WORKERS]
    dead_letters = EventProducer(common, schemas, client_id=f"{settings.group_id}-dlq")
    app[INTAKE_CLIENT] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    started = False
    try:
        await prepare_schema(pool, common, SCHEMA, MIGRATIONS)
        repository = PostgresNotifierRepository(pool, schemas, common.topic)
        router = Router(timedelta(hours=settings.review_window_hours), clock)
        app[HANDLERS] = NotifierHandlers(repository, schemas, router, clock)
        await dead_letters.start()
        started = True
        _start_workers(app, pool, settings, schemas, repository, router, dead_letters, clock)
        app[READINESS_CHECKS].update(
            database=lambda: database_ready(pool),
            kafka=lambda: kafka_reachable(common.kafka_bootstrap),
            **workers.readiness_checks(),
        )
        app[METRICS_PROBES].append(lambda: refresh_backlog_metrics(pool, SCHEMA))
        yield
    finally:
        await _end_streams(app)
        await workers.drain(settings.shutdown_grace_seconds)
        if started:
            await dead_letters.stop()
        await app[INTAKE_CLIENT].close()
        await pool.close()


def _start_workers(
    app: web.Application,
    pool: Any,
    settings: NotifierSettings,
    schemas: SchemaRegistry,
    repository: PostgresNotifierRepository,
    router: Router,
    dead_letters: EventProducer,
    clock: Clock,
) -> None:
    """In drain order: streams end first, the consumer commits before the relay publishes."""
    workers = app[WORKERS]
    app[HUB] = NotificationHub(pool)
    workers.start("sse_hub", app[HUB])
    consumer = ConsumerRunner(
        settings=settings.common,
        group_id=settings.group_id,
        topics=TOPICS,
        handler=EventDispatcher(router, repository).handle,
        pool=pool,
        schema=SCHEMA,
        registry=schemas,
        dlq=dead_letters,
    )
    workers.start("consumer", consumer)
    workers.start("webhooks", WebhookDeliverer(repository, pool, settings, clock))
    interval = settings.escalation_interval_seconds
    workers.start("deadlines", EscalationWorker(router, repository, interval))
    relay = RelayRunner(pool, SCHEMA, settings.common, schemas, client_id=settings.group_id)
    workers.start("outbox_relay", relay)
    retention = AuditPruneWorker(pool, SCHEMA, settings.audit_retention, clock)
    workers.start("audit_retention", retention)


async def _end_streams(app: web.Application) -> None:
    """Open SSE streams end at shutdown: clients resume elsewhere with Last-Event-ID."""
    if HUB in app:
        app[HUB].close()
