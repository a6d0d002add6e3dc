"""Outbox relay: what a transaction wrote reaches Kafka, in order per key, once published."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from services.common.catalog import ALERTS
from services.common.config import CommonSettings
from services.common.envelope import from_kafka, new_event
from services.common.outbox import OutboxRelay, enqueue
from services.common.outbox_backlog import backlog
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from tests.examples import example_data
from tests.integration.kafka_helpers import read_topic
from tests.integration.workers.effect_consumer import MIGRATIONS, SCHEMA, prepare

UPDATED = "org.kinlink.alert.updated.v1"


async def test_relay_publishes_committed_rows_in_order_per_key(
    settings: CommonSettings, registry: SchemaRegistry, pool: Any
) -> None:
    assert MIGRATIONS.exists()
    await prepare(pool)
    alert_ids = [str(uuid.uuid4()) for _ in range(3)]
    topic = settings.topic(ALERTS)
    written = []
    async with pool.acquire() as conn:
        for round_ in range(4):
            async with conn.transaction():
                for alert_id in alert_ids:
                    data = {**example_data(UPDATED), "alert_id": alert_id}
                    event = new_event(
                        UPDATED, "/kinlink/test", alert_id, data, extensions={"seq": str(round_)}
                    )
                    await enqueue(conn, SCHEMA, event, topic, registry=registry)
                    written.append(event)
        # A rolled-back transaction leaves nothing to publish.
        tx = conn.transaction()
        await tx.start()
        ghost = new_event(
            UPDATED,
            "/kinlink/test",
            alert_ids[0],
            {**example_data(UPDATED), "alert_id": alert_ids[0]},
        )
        await enqueue(conn, SCHEMA, ghost, topic, registry=registry)
        await tx.rollback()

    async with EventProducer(settings, registry, client_id="relay-test") as producer:
        relay = OutboxRelay(pool, SCHEMA, producer, poll_interval=0.2)
        task = asyncio.create_task(relay.run())
        records = await read_topic(settings.kafka_bootstrap, topic, expected=len(written))
        relay.stop()
        await asyncio.wait_for(task, 30)

    received = [from_kafka(r.key, r.value, r.headers) for r in records]
    assert sorted(e.id for e in received) == sorted(e.id for e in written)
    for alert_id in alert_ids:
        seqs = [e.extensions["seq"] for e in received if e.subject == alert_id]
        assert seqs == ["0", "1", "2", "3"]
    async with pool.acquire() as conn:
        assert await backlog(conn, SCHEMA) == 0


async def test_relay_survives_the_database_cutting_its_sessions(
    settings: CommonSettings, registry: SchemaRegistry, pool: Any
) -> None:
    """A PostgreSQL restart cuts every session (the advisory lock's included): found by the
    chaos run, the relay crashed and took its service down. It must take the lock again and
    publish what is written afterwards."""
    await prepare(pool)
    topic = settings.topic(ALERTS)
    alert_id = str(uuid.uuid4())

    async def write(seq: int) -> str:
        data = {**example_data(UPDATED), "alert_id": alert_id}
        event = new_event(UPDATED, "/kinlink/test", alert_id, data, extensions={"seq": str(seq)})
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, event, topic, registry=registry)
        return event.id

    async with EventProducer(settings, registry, client_id="relay-test") as producer:
        relay = OutboxRelay(pool, SCHEMA, producer, poll_interval=0.2)
        task = asyncio.create_task(relay.run())
        first = await write(0)
        await read_topic(settings.kafka_bootstrap, topic, expected=1)
        async with pool.acquire() as conn:
            # What an administrator's shutdown does to every other session of the database.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        second = await write(1)
        records = await read_topic(settings.kafka_bootstrap, topic, expected=2)
        assert not task.done(), "the relay crashed"
        relay.stop()
        await asyncio.wait_for(task, 30)

    assert [from_kafka(r.key, r.value, r.headers).id for r in records] == [first, second]


async def test_rows_published_before_a_crash_are_not_sent_twice(
    settings: CommonSettings, registry: SchemaRegistry, pool: Any
) -> None:
    """A relay killed after the broker acknowledged a batch but before it marked the rows sent
    left them unsent: its successor sent them again, and each event was in Kafka twice."""
    await prepare(pool)
    topic = settings.topic(ALERTS)
    events = []
    async with pool.acquire() as conn, conn.transaction():
        for n in range(4):
            alert_id = str(uuid.uuid4())
            data = {**example_data(UPDATED), "alert_id": alert_id}
            event = new_event(UPDATED, "/kinlink/test", alert_id, data, extensions={"seq": str(n)})
            await enqueue(conn, SCHEMA, event, topic, registry=registry)
            events.append(event)

    async with EventProducer(settings, registry, client_id="relay-test") as producer:
        # The dead relay's work: the first three acknowledged, none marked sent.
        await producer.send_many([(event, topic) for event in events[:3]])
        relay = OutboxRelay(pool, SCHEMA, producer, poll_interval=0.2)
        task = asyncio.create_task(relay.run())
        records = await read_topic(settings.kafka_bootstrap, topic, expected=4)
        relay.stop()
        await asyncio.wait_for(task, 30)

    logged = sorted(from_kafka(r.key, r.value, r.headers).id for r in records)
    assert logged == sorted(e.id for e in events)
    async with pool.acquire() as conn:
        assert await backlog(conn, SCHEMA) == 0
