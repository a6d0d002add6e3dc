"""A consumer process for durability tests: records one row per event it applies.

Run as `python -m tests.integration.workers.effect_consumer`; with KINLINK_TEST_CRASH=1 it dies
(SIGKILL-like `os._exit`) after its transactions committed but before committing offsets.
SIGTERM stops it gracefully.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import asyncpg

from services.common.catalog import ALERTS
from services.common.config import CommonSettings
from services.common.consumer import ConsumerRunner
from services.common.db import create_pool
from services.common.envelope import CloudEvent
from services.common.logging import configure_logging
from services.common.migrations import migrate
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry

SCHEMA = "effects"
GROUP = "effects-test"
MIGRATIONS = Path(__file__).parent / "migrations"


async def record_effect(event: CloudEvent, conn: asyncpg.Connection) -> None:
    await conn.execute(
        "INSERT INTO effects.effects (event_id, event_type) VALUES ($1, $2)", event.id, event.type
    )


async def prepare(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await migrate(conn, SCHEMA, MIGRATIONS)


def build_runner(settings: CommonSettings, pool: object, dlq: EventProducer) -> ConsumerRunner:
    return ConsumerRunner(
        settings=settings,
        group_id=GROUP,
        topics=[ALERTS],
        handler=record_effect,
        pool=pool,
        schema=SCHEMA,
        registry=SchemaRegistry.load(),
        dlq=dlq,
    )


async def main() -> None:
    configure_logging("INFO", service="effect-consumer")
    settings = CommonSettings.from_env()
    pool = await create_pool(settings.database_url)
    await prepare(pool)
    dlq = EventProducer(settings, SchemaRegistry.load(), client_id="effects-dlq")
    await dlq.start()
    runner = build_runner(settings, pool, dlq)
    if os.environ.get("KINLINK_TEST_CRASH") == "1":

        async def crash(_only: object) -> None:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT count(*) FROM effects.effects"):
                    os._exit(137)

        runner.commit_pending = crash  # type: ignore[method-assign]
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, runner.stop)
    try:
        await runner.run()
    finally:
        await dlq.stop()
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
