"""Dead letters, redelivery after a crash, and graceful shutdown of the consumer runner."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from services.common.catalog import ALERTS, DLQ
from services.common.config import CommonSettings
from services.common.dead_letters import header
from services.common.envelope import new_event, to_kafka
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from tests.examples import example_data
from tests.integration.kafka_helpers import read_topic
from tests.integration.workers import effect_consumer

ALERT = "org.kinlink.alert.published.v1"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def alert_event(n: int) -> Any:
    data = dict(example_data(ALERT))
    data["alert_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-alert-{n}"))
    return new_event(ALERT, "/kinlink/test", data["alert_id"], data)


async def effects(pool: Any) -> list[str]:
    rows = await pool.fetch("SELECT event_id FROM effects.effects ORDER BY id")
    return [r["event_id"] for r in rows]


async def wait_for(predicate: Any, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def test_bad_records_go_to_the_dlq_and_consumption_goes_on(
    settings: CommonSettings, registry: SchemaRegistry, pool: Any
) -> None:
    await effect_consumer.prepare(pool)
    first = alert_event(1)
    # Same key as `first`, so all four records share a partition and their order is fixed.
    last = new_event(ALERT, "/kinlink/test", first.key, first.data)
    schema_invalid = alert_event(3)
    key, _, headers = to_kafka(schema_invalid)
    bad_data = json.dumps({**schema_invalid.data, "status": "misplaced"}).encode()
    topic = settings.topic(ALERTS)

    async with EventProducer(settings, registry, client_id="test") as producer:
        await producer.send(first)
        await producer.send_raw(topic, first.key.encode(), b"{not json", headers)  # same partition
        await producer.send_raw(
            topic, first.key.encode(), bad_data, [(n, v) for n, v in headers if n != "ce_subject"]
        )
        await producer.send(last)
        runner = effect_consumer.build_runner(settings, pool, producer)
        task = asyncio.create_task(runner.run())
        try:
            await wait_for(lambda: _has(pool, 2))
        finally:
            runner.stop()
            await asyncio.wait_for(task, 30)

    assert await effects(pool) == [first.id, last.id]
    letters = await read_topic(settings.kafka_bootstrap, settings.topic(DLQ), expected=2)
    assert len(letters) == 2
    reasons = {
        header(r.headers, "dlq_error_class"): header(r.headers, "dlq_reason") for r in letters
    }
    assert set(reasons) == {"decode", "schema"}
    assert "/status" in (reasons["schema"] or "")
    for letter in letters:
        assert header(letter.headers, "dlq_original_topic") == topic
        assert header(letter.headers, "dlq_original_partition") is not None
        assert int(header(letter.headers, "dlq_original_offset") or -1) >= 0
        assert header(letter.headers, "ce_id") is not None  # original headers kept
    assert {letter.value for letter in letters} == {b"{not json", bad_data}  # byte for byte


async def _has(pool: Any, n: int) -> bool:
    return len(await effects(pool)) >= n


def _spawn(settings: CommonSettings, crash: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KINLINK_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "KINLINK_DATABASE_URL": settings.database_url,
        "KINLINK_TOPIC_PREFIX": settings.topic_prefix,
        "KINLINK_TEST_CRASH": "1" if crash else "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.workers.effect_consumer"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def _committed_total(settings: CommonSettings) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(effect_consumer.GROUP)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == settings.topic(ALERTS))


async def test_crash_after_processing_before_commit_has_no_duplicate_effect(
    settings: CommonSettings, registry: SchemaRegistry, pool: Any
) -> None:
    events = [alert_event(n) for n in range(10, 16)]
    async with EventProducer(settings, registry, client_id="test") as producer:
        await producer.send_many([(e, None) for e in events])

    crashed = _spawn(settings, crash=True)
    assert await asyncio.to_thread(crashed.wait, 90) == 137
    applied_before_crash = await effects(pool)
    assert applied_before_crash  # it did apply events, then died before committing offsets
    assert await _committed_total(settings) == 0

    restarted = _spawn(settings, crash=False)
    try:
        await wait_for(lambda: _all_committed(settings, len(events)), timeout=60)
    finally:
        restarted.terminate()  # SIGTERM: graceful shutdown
        output = (await asyncio.to_thread(restarted.communicate, None, 60))[0].decode()
    assert restarted.returncode == 0, output
    assert "duplicate event ignored" in output  # the redelivery happened, and was a no-op
    applied = await effects(pool)
    assert sorted(applied) == sorted(e.id for e in events)  # each exactly once


async def _all_committed(settings: CommonSettings, n: int) -> bool:
    return await _committed_total(settings) >= n
