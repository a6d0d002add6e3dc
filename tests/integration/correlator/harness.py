"""Run correlator instances against the test stack and read what they proposed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from services.common.catalog import MATCHES
from services.common.config import CommonSettings
from services.common.envelope import CloudEvent, from_kafka
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.correlator.app import create_app
from services.correlator.config import CorrelatorSettings
from tests.integration.kafka_helpers import read_topic


async def publish(settings: CommonSettings, events: Sequence[CloudEvent]) -> None:
    async with EventProducer(settings, SchemaRegistry.load(), client_id="test") as producer:
        for event in events:  # one by one: the order of the list is the order of arrival
            await producer.send(event)


class RunningCorrelator:
    """One correlator instance in this process, started and stopped as its app would be."""

    def __init__(self, runner: web.AppRunner) -> None:
        self._runner = runner

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_correlator(settings: CommonSettings, **options: Any) -> RunningCorrelator:
    runner = web.AppRunner(create_app(CorrelatorSettings(common=settings, **options)))
    await runner.setup()  # runs the cleanup context: pool, index, consumer, relay
    return RunningCorrelator(runner)


async def stored_matches(pool: Any) -> dict[str, tuple[int, float]]:
    rows = await pool.fetch("SELECT match_id::text, revision, score FROM correlator.matches")
    return {r["match_id"]: (r["revision"], r["score"]) for r in rows}


async def live_matches(pool: Any) -> dict[str, float]:
    """Score of every match that stands proposed (not withdrawn), by match id."""
    rows = await pool.fetch(
        "SELECT match_id::text, score FROM correlator.matches WHERE status = 'proposed'"
    )
    return {r["match_id"]: r["score"] for r in rows}


async def wait_until_idle(
    pool: Any, settings: CommonSettings, group: str, expected: int, timeout: float = 60.0
) -> None:
    """Until the group consumed everything published so far and the outbox is empty."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                offsets = await admin.list_consumer_group_offsets(group)
            except KafkaError:  # the group coordinator is still starting
                await asyncio.sleep(0.3)
                continue
            committed = sum(
                m.offset for tp, m in offsets.items() if tp.topic.startswith(settings.topic_prefix)
            )
            backlog = (
                await pool.fetchval("SELECT count(*) FROM correlator.outbox WHERE sent_at IS NULL")
                if await _has_outbox(pool)
                else 1
            )
            if committed >= expected and backlog == 0:
                return
            await asyncio.sleep(0.3)
    finally:
        await admin.close()
    raise AssertionError(f"correlator did not consume {expected} events in {timeout}s")


async def _has_outbox(pool: Any) -> bool:
    return bool(await pool.fetchval("SELECT to_regclass('correlator.outbox') IS NOT NULL"))


async def proposals_on_topic(settings: CommonSettings, expected: int) -> list[CloudEvent]:
    records = await read_topic(settings.kafka_bootstrap, settings.topic(MATCHES), expected)
    return [from_kafka(r.key, r.value, r.headers) for r in records]
