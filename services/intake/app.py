"""Intake's composition root: `create_app(settings)` wires pool, store, use cases, outbox relay
and routes.

Nothing connects at import time; the pool, the migrations and the outbox relay live in the
application's cleanup context, so shutdown drains the relay after in-flight requests finish.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.common.db import create_pool
from services.common.health import database_ready, kafka_reachable
from services.common.http_requests import VERIFIER
from services.common.http_server import (
    METRICS_PROBES,
    READINESS_CHECKS,
    add_ops_routes,
    standard_middlewares,
)
from services.common.migrations import migrate
from services.common.openapi import load_bundled, query_guard
from services.common.outbox import RelayRunner, refresh_backlog_metrics
from services.common.schema_registry import SCHEMAS_ROOT, SchemaRegistry
from services.common.workers import WORKERS, Workers
from services.intake.config import SCHEMA, IntakeSettings
from services.intake.handlers import IntakeHandlers
from services.intake.http import HANDLERS, OPENAPI, SETTINGS, add_routes
from services.intake.postgres import PostgresIntakeRepository
from services.intake.validation import ALL_BODY_SCHEMAS

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
OPENAPI_FILE = SCHEMAS_ROOT / "openapi.yaml"


def create_app(settings: IntakeSettings, registry: SchemaRegistry | None = None) -> web.Application:
    schemas = registry or SchemaRegistry.load()
    for schema_id in ALL_BODY_SCHEMAS:
        schemas.validator(schema_id)  # compile once, and fail at start if a schema is missing
    openapi = load_bundled(OPENAPI_FILE, schemas)
    app = web.Application(
        middlewares=[*standard_middlewares("intake"), query_guard(openapi)],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[VERIFIER] = settings.auth.verifier()
    app[OPENAPI] = openapi
    app[WORKERS] = Workers()
    add_routes(app)
    add_ops_routes(app)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        common = settings.common
        pool = await create_pool(common.database_url, max_size=10)
        workers = app[WORKERS]
        try:
            async with pool.acquire() as conn:
                await migrate(conn, SCHEMA, MIGRATIONS)
            repository = PostgresIntakeRepository(pool, schemas, common.topic)
            app[HANDLERS] = IntakeHandlers(repository, schemas, settings)
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
            app[READINESS_CHECKS].update(
                database=lambda: database_ready(pool),
                kafka=lambda: kafka_reachable(common.kafka_bootstrap),
                **workers.readiness_checks(),
            )
            app[METRICS_PROBES].append(lambda: refresh_backlog_metrics(pool, SCHEMA))
            yield
        finally:
            await workers.drain(settings.shutdown_grace_seconds)
            await pool.close()

    app.cleanup_ctx.append(resources)
    return app
