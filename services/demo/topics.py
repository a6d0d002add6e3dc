"""Reading a topic back for the demo: the records a predicate keeps, from the beginning."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer

from services.common.config import CommonSettings


async def scan_topic(
    settings: CommonSettings,
    topic: str,
    keep: Callable[[Any], bool],
    *,
    first_only: bool = False,
    timeout: float = 60.0,
    quiet: float = 2.0,
) -> list[Any]:
    """Kept records of the logical `topic`: the first one (`first_only`, waiting up to
    `timeout`), or all of them until nothing new has arrived for `quiet` seconds."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **settings.kafka_client_options(),
    )
    await consumer.start()
    kept: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        last_arrival = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                last_arrival = time.monotonic()
                for record in records:
                    if keep(record):
                        kept.append(record)
                        if first_only:
                            return kept
            if not first_only and time.monotonic() - last_arrival > quiet:
                break
        return kept
    finally:
        await consumer.stop()
