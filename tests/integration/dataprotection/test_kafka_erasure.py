"""Erasure reaches Kafka: on a registrations topic created from the production spec (compact,
delete), a registration.recorded event followed by its registration.erased is compacted away by
the real broker's log cleaner, so reading the topic from the beginning no longer returns the
child's data, while a registration that was not erased keeps its event (a replay still sees it).

Only the time bounds are shrunk (segment.ms, max.compaction.lag.ms, min.cleanable.dirty.ratio),
passed the same way as production's, through the TopicSpec, so the cleaner acts within seconds
instead of a day or a week. The test polls with a generous deadline; it asserts no timing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.common.catalog import REGISTRATION_ERASED, REGISTRATION_RECORDED, REGISTRATIONS
from services.common.envelope import new_event, to_kafka
from services.common.outbox_recovery import partition_of
from services.common.topics import load_topic_specs, sync_topics
from tests.examples import example_data

if TYPE_CHECKING:
    from tests.stack_fixtures import TestStack

pytestmark = pytest.mark.integration

DEADLINE_S = 80.0  # the broker's cleaner wakes every 15 s (log.cleaner.backoff.ms default)


def _record(ce_type: str, registration_id: str, data: dict[str, Any]) -> tuple[bytes, bytes, Any]:
    """(key, value, headers) as intake's outbox relay publishes the event."""
    key, value, headers = to_kafka(new_event(ce_type, "/intake/t", registration_id, data))
    assert key is not None
    return key, value, headers


def _registration(registration_id: str) -> tuple[bytes, bytes, Any]:
    data = example_data(REGISTRATION_RECORDED) | {"registration_id": registration_id}
    return _record(REGISTRATION_RECORDED, registration_id, data)


def _erasure(registration_id: str) -> tuple[bytes, bytes, Any]:
    data = {
        "registration_id": registration_id,
        "erased_at": "2026-01-01T00:00:00Z",
        "reason": "retention_elapsed",
    }
    return _record(REGISTRATION_ERASED, registration_id, data)


def _id_on(partition: int, partitions: int) -> str:
    """A registration id whose key the default partitioner puts on `partition`."""
    while True:
        candidate = str(uuid.uuid4())
        if partition_of(candidate.encode(), partitions) == partition:
            return candidate


async def _read_partition(bootstrap: str, tp: TopicPartition) -> list[tuple[bytes, bytes]]:
    """(key, value) of every record on the partition now, from the beginning."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        # An explicit seek: a reset requested on a fresh assignment can race with the
        # assignment's own reset and leave the position at the end.
        start = (await consumer.beginning_offsets([tp]))[tp]
        end = (await consumer.end_offsets([tp]))[tp]
        consumer.seek(tp, start)
        records: list[tuple[bytes, bytes]] = []
        while await consumer.position(tp) < end:
            for batch in (await consumer.getmany(tp, timeout_ms=500)).values():
                records.extend((r.key, r.value) for r in batch)
        return records
    finally:
        await consumer.stop()


async def test_an_erased_registration_leaves_the_topic_and_a_live_one_stays(
    stack: TestStack,
) -> None:
    (production,) = [s for s in load_topic_specs() if s.name == REGISTRATIONS]
    spec = replace(
        production, segment_ms=1000, max_compaction_lag_ms=1000, min_cleanable_dirty_ratio=0.01
    )
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await sync_topics(stack.bootstrap, [spec], prefix)
    topic = prefix + REGISTRATIONS
    erased_id = str(uuid.uuid4())
    partition = partition_of(erased_id.encode(), spec.partitions)
    assert partition is not None
    live_id = _id_on(partition, spec.partitions)  # same partition: same log, same cleaner pass
    erased_key, erased_value, erased_headers = _registration(erased_id)
    live_key, live_value, live_headers = _registration(live_id)
    tp = TopicPartition(topic, partition)

    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()

    async def send(record: tuple[bytes, bytes, Any]) -> None:
        # The partition the default partitioner picks for the key, named so that a producer
        # with a partial view of a topic this new cannot put it elsewhere.
        key, value, headers = record
        await producer.send_and_wait(topic, value, key, partition=partition, headers=headers)

    try:
        await send((erased_key, erased_value, erased_headers))
        await send((live_key, live_value, live_headers))
        erasure = _erasure(erased_id)
        await send(erasure)
        deadline = time.monotonic() + DEADLINE_S
        while True:
            # Later traffic on the partition: Kafka closes a segment only on an append.
            await send(_registration(_id_on(partition, spec.partitions)))
            values = {value for _, value in await _read_partition(stack.bootstrap, tp)}
            compacted = live_value in values and erased_value not in values
            if compacted or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
    finally:
        await producer.stop()

    records = await _read_partition(stack.bootstrap, tp)  # a replay from the beginning
    of_erased = [value for key, value in records if key == erased_key]
    assert of_erased == [erasure[1]], "the recorded event of the erased child is still there"
    assert b"Ahmady" not in b"".join(of_erased)
    assert [value for key, value in records if key == live_key] == [live_value]
