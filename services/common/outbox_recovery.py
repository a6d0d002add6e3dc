"""Rows in doubt: outbox rows a relay may have published without marking them sent.

A relay that dies between the broker's acknowledgement and its UPDATE (SIGKILL, the database
going away), or whose batch failed half-way (a broker died after acknowledging some of it),
leaves rows unsent that are already in Kafka: sending them again would log each of those events
twice. Before it publishes such rows again, the relay looks for their event ids at the tail of
the partitions they map to and marks the ones it finds as sent.

Only the first batch of unsent rows can be in doubt (a relay publishes in id order, one batch at
a time, and only the relay holding the schema's lock publishes to these partitions), and those
rows, if published, are the last records of their partitions: reading as many records from the
end of each partition as it has rows in doubt is enough.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import murmur2

from services.common.envelope import from_structured, to_kafka
from services.common.kafka_access import start_client

_ID_HEADER = "ce_id"


def partition_of(key: bytes | None, partitions: int) -> int | None:
    """The partition the producer's default partitioner chose for `key` (None: any)."""
    if key is None:
        return None
    return int((murmur2(key) & 0x7FFFFFFF) % partitions)


async def already_published(
    bootstrap: str,
    rows: list[Any],
    partitions_for: Callable[[str], Awaitable[set[int]]],
    client_options: Mapping[str, Any] | None = None,
) -> list[int]:
    """Outbox ids (rows with id, topic, event) whose event is already on its partition;
    `partitions_for(topic)` is the producer's view of the topic's partitions, and
    `client_options` the cluster's security settings (TLS, SASL) as the producer has them."""
    if not rows:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        **(client_options or {}),
    )
    await start_client(consumer, bootstrap, client_options)
    try:
        wanted: dict[TopicPartition, dict[str, int]] = defaultdict(dict)
        for row in rows:
            event = from_structured(row["event"])
            count = len(await partitions_for(row["topic"]))
            partition = partition_of(to_kafka(event)[0], count)
            if partition is None:
                continue  # keyless: cannot be located, so it is sent again (never the case here)
            wanted[TopicPartition(row["topic"], partition)][event.id] = row["id"]
        found: list[int] = []
        ends = await consumer.end_offsets(list(wanted))
        for tp, ids in wanted.items():
            for event_id in await _tail_ids(consumer, tp, ends[tp], len(ids)):
                if event_id in ids:
                    found.append(ids.pop(event_id))
        return found
    finally:
        await consumer.stop()


async def _tail_ids(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int, n: int) -> set[str]:
    """Event ids of the last `n` records of the partition."""
    if end == 0:
        return set()
    consumer.assign([tp])
    consumer.seek(tp, max(0, end - n))
    ids: set[str] = set()
    while await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=1000)
        for record in batch.get(tp, []):
            for name, value in record.headers or ():
                if name == _ID_HEADER:
                    ids.add(value.decode())
    return ids
