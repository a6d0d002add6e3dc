"""What a run left behind, read back for the checks: every record of the run's topics, the
records in intake's database, and each subscriber organisation's notifications as the
notifier lists them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.common.catalog import ALERTS, DLQ, MATCHES, REGISTRATIONS, SIGHTINGS
from services.common.envelope import EnvelopeError, from_kafka
from services.lab.chaos.infra import World


@dataclass(frozen=True)
class Logged:
    """One record of an event topic, decoded."""

    event_id: str
    event_type: str
    key: str | None
    data: dict[str, Any]


@dataclass
class TopicFacts:
    events: dict[str, list[Logged]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: int = 0


async def read_topics(world: World) -> TopicFacts:
    """Every record of the run's event topics and dead-letter topic, to their current end."""
    facts = TopicFacts()
    consumer = AIOKafkaConsumer(bootstrap_servers=world.bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed")  # fmt: skip
    await consumer.start()
    try:
        for logical in (ALERTS, REGISTRATIONS, SIGHTINGS, MATCHES, DLQ):
            topic = f"{world.topic_prefix}{logical}"
            tps = await partitions(world.bootstrap, [topic])
            for record in await _read_all(consumer, tps):
                if logical == DLQ:
                    facts.dead_letters += 1
                    continue
                try:
                    event = from_kafka(record.key, record.value, record.headers or ())
                except EnvelopeError:
                    continue  # would have been dead-lettered by the consumers
                facts.events[logical].append(Logged(event.id, event.type, event.key, event.data))
    finally:
        await consumer.stop()
    return facts


async def partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of the topics, from the cluster's metadata."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described
            for p in t["partitions"]]  # fmt: skip


async def _read_all(consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> list[Any]:
    if not tps:
        return []
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    records: list[Any] = []
    for tp in tps:
        while await consumer.position(tp) < ends[tp]:
            batch = await consumer.getmany(tp, timeout_ms=2000)
            for got in batch.values():
                records.extend(r for r in got if r.offset < ends[tp])
    return records


@dataclass
class IntakeRows:
    ids: dict[str, set[str]]  # record type -> ids
    resolved: set[str]


async def read_intake(world: World) -> IntakeRows:
    conn = await asyncpg.connect(world.database_url)
    try:
        ids = {
            kind: {str(r["id"]) for r in await conn.fetch(f"SELECT id FROM intake.{kind}s")}
            for kind in ("alert", "registration", "sighting")
        }
        resolved = {
            str(r["id"])
            for r in await conn.fetch("SELECT id FROM intake.alerts WHERE status = 'resolved'")
        }
    finally:
        await conn.close()
    return IntakeRows(ids, resolved)


async def list_notifications(notifier_url: str, token: str) -> list[dict[str, Any]]:
    """An organisation's notifications, all pages, as the polling API serves them."""
    items: list[dict[str, Any]] = []
    since = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        while True:
            url = f"{notifier_url}/v1/notifications?since={since}&limit=200"
            async with http.get(url, headers=headers) as response:
                response.raise_for_status()
                page = await response.json()
            items.extend(page["items"])
            if len(page["items"]) < 200:
                return items
            since = page["next_since"]
