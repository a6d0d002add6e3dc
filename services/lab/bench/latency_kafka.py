"""The Kafka side of the latency bench: latency samples, the raw produce->consume reference
through the bench's broker, and the per-hop breakdown read from the records' own timestamps on
the sightings and matches topics. Part of `latency` (the end-to-end measurement), kept apart to
keep each module short."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.common.catalog import MATCHES as MATCHES_TOPIC
from services.common.catalog import SIGHTINGS as SIGHTINGS_TOPIC
from services.common.topics import TopicSpec

RAW_MESSAGES = 200
RAW_TOPIC = TopicSpec("bench.raw-latency", 1, 1, 3_600_000, "delete")


@dataclass(frozen=True)
class Latencies:
    samples: list[float]  # seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples) * 1000 if self.samples else float("nan")

    @property
    def p99_ms(self) -> float:
        return self.percentile(0.99) * 1000


async def record_times(bootstrap: str, topic: str) -> dict[str, float]:
    """Observation id -> when its event was produced to `topic` (record timestamp, seconds)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    times: dict[str, float] = {}
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    data = json.loads(r.value)
                    key = data.get("sighting_id") or data.get("observation", {}).get("id")
                    times.setdefault(str(key), r.timestamp / 1000)
    finally:
        await consumer.stop()
    return times


async def hops(
    bootstrap: str, prefix: str, sent: dict[str, float], arrived: dict[str, float]
) -> dict[str, Latencies]:
    """Where the time goes: intake to the sightings topic, the correlator (sightings topic to
    matches topic), the notifier (matches topic to the SSE client)."""
    posted = await record_times(bootstrap, f"{prefix}{SIGHTINGS_TOPIC}")
    proposed = await record_times(bootstrap, f"{prefix}{MATCHES_TOPIC}")
    done = [k for k in sent if k in arrived and k in posted and k in proposed]
    return {
        "intake: POST -> event on kinlink.sightings": Latencies(
            [posted[k] - sent[k] for k in done]
        ),
        "correlator: sighting -> match.proposed": Latencies(
            [proposed[k] - posted[k] for k in done]
        ),
        "notifier: match.proposed -> SSE client": Latencies(
            [arrived[k] - proposed[k] for k in done]
        ),
    }


async def raw_kafka(bootstrap: str, topic: str) -> Latencies:
    """One message at a time, at the same rate order of magnitude: produce (acks=all) and
    wait until a subscribed consumer of another group receives it."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="latest",
                                group_id=f"bench-raw-{uuid.uuid4().hex[:6]}")  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    samples: list[float] = []
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        await consumer.seek_to_end()
        for n in range(RAW_MESSAGES):
            started = time.perf_counter()
            await producer.send_and_wait(topic, f"{n}".encode(), key=b"k")
            got = False
            while not got:
                batches = await consumer.getmany(timeout_ms=1000)
                got = any(r.value == f"{n}".encode() for rs in batches.values() for r in rs)
            samples.append(time.perf_counter() - started)
            await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - started)))
    finally:
        await producer.stop()
        await consumer.stop()
    return Latencies(samples)
