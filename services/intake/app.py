"""Intake's composition root: `create_app(settings)` wires pool, store, use cases, outbox relay,
the `match.reviewed` consumer (for PFIF links) and routes.

Nothing connects at import time; the pool, the migrations and the outbox relay live in the
application's cleanup context, so shutdown drains the relay after in-flight requests finish.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.common.consumer import ConsumerRunner
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
from services.intake.config import SCHEMA, IntakeSettings
from services.intake.consumers import EventDispatcher, ReviewsConsumer
from services.intake.handlers import IntakeHandlers
from services.intake.http import HANDLERS, OPENAPI, PFIF, SETTINGS, add_routes
from services.intake.pfif_cases import PfifCases
from services.intake.postgres import PostgresIntakeRepository
from services.intake.retention import links
from services.intake.retention.http import REVIEWS, add_retention_routes
from services.intake.retention.job import RetentionJob
from services.intake.retention.postgres import PostgresRetentionStore
from services.intake.retention.review import ALERT_EXTEND, ReviewHandlers
from services.intake.retention.worker import RetentionWorker
from services.intake.validation import ALL_BODY_SCHEMAS

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
OPENAPI_FILE = SCHEMAS_ROOT / "openapi.yaml"


def create_app(settings: IntakeSettings, registry: SchemaRegistry | None = None) -> web.Application:
    schemas = registry or SchemaRegistry.load()
    for schema_id in (*ALL_BODY_SCHEMAS, ALERT_EXTEND):
        schemas.validator(schema_id)  # compile once, and fail at start if a schema is missing
    openapi = load_bundled(OPENAPI_FILE, schemas)
    app = web.Application(
        middlewares=[*standard_middlewares("intake"), query_guard(openapi)],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[VERIFIER] = settings.auth.verifier()
    app[RATE_LIMITS] = RateLimits(settings.rate_limits)
    app[OPENAPI] = openapi
    app[WORKERS] = Workers()
    add_routes(app)
    add_retention_routes(app)
    add_ops_routes(app)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        common = settings.common
        pool = await create_pool(common.database_url_for(SCHEMA), max_size=settings.db_pool_size)
        workers = app[WORKERS]
        dead_letters = EventProducer(common, schemas, client_id="intake-links-dlq")
        dead_letters_started = False
        try:
            await prepare_schema(pool, common, SCHEMA, MIGRATIONS)
            repository = PostgresIntakeRepository(pool, schemas, common.topic)
            app[HANDLERS] = IntakeHandlers(repository, schemas, settings)
            retention = PostgresRetentionStore(pool, schemas, common.topic)
            policy = settings.retention.policy
            app[REVIEWS] = ReviewHandlers(retention, schemas, policy)
            if settings.retention.worker:
                await dead_letters.start()
                dead_letters_started = True
                workers.start("match_links", ConsumerRunner(
                    settings=common,
                    # under intake's own group name, so that one ACL prefix covers its groups
                    group_id=settings.group_id + links.GROUP_SUFFIX,
                    topics=links.TOPICS,
                    handler=links.LinksDispatcher(retention).handle,
                    pool=pool,
                    schema=SCHEMA,
                    registry=schemas,
                    dlq=dead_letters,
                ))
                job = RetentionJob(retention, policy)
                workers.start(
                    "retention", RetentionWorker(job, settings.retention.interval_seconds)
                )
            app[PFIF] = PfifCases(repository, schemas, settings)
            if settings.run_relay:
                relay = RelayRunner(
                    pool,
                    SCHEMA,
                    common,
                    schemas,
                    client_id="intake-relay",
                    poll_interval=settings.relay_poll_interval,
                )
                workers.start("outbox_relay", relay)
            if settings.run_consumer:
                dispatcher = EventDispatcher(app[PFIF], repository)
                workers.start(
                    "reviews_consumer", ReviewsConsumer(settings, schemas, pool, dispatcher)
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
