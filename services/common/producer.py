"""The idempotent event producer: validates every event against its schema, then sends it.

An invalid event here is a programming error (intake validated the request, the correlator
built the event itself), so it raises instead of sending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from services.common.catalog import topic_for_type
from services.common.config import CommonSettings
from services.common.envelope import CloudEvent, Headers, to_kafka
from services.common.kafka_access import start_client
from services.common.schema_registry import SchemaRegistry


class EventProducer:
    """Wraps AIOKafkaProducer with `acks=all` and idempotence (no duplicates on retry)."""

    def __init__(self, settings: CommonSettings, registry: SchemaRegistry, client_id: str) -> None:
        self._settings = settings
        self._registry = registry
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=30000,
            **settings.kafka_client_options(),
        )

    async def start(self) -> None:
        try:
            await start_client(
                self._producer,
                self._settings.kafka_bootstrap,
                self._settings.kafka_client_options(),
            )
        except BaseException:
            await self._producer.stop()  # close what the failed start opened
            raise

    async def stop(self) -> None:
        await self._producer.stop()

    async def __aenter__(self) -> EventProducer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def bootstrap(self) -> str:
        return self._settings.kafka_bootstrap

    def client_options(self) -> dict[str, Any]:
        """The security options (TLS, SASL) any other client of the same cluster needs."""
        return self._settings.kafka_client_options()

    async def partitions_for(self, topic: str) -> set[int]:
        """The topic's partitions, from the cluster's metadata."""
        return set(await self._producer.partitions_for(topic))

    def topic_of(self, event: CloudEvent) -> str:
        return self._settings.topic(topic_for_type(event.type))

    async def send(self, event: CloudEvent, topic: str | None = None) -> Any:
        """Validate, send, and wait for the broker's acknowledgement (RecordMetadata)."""
        return await (await self._enqueue(event, topic))

    async def send_many(
        self, events: Sequence[tuple[CloudEvent, str | None]], *, validate: bool = True
    ) -> list[Any]:
        """Send a batch pipelined (order kept per partition); wait until all are acknowledged.

        `validate=False` only for events validated already (the outbox validates on write).
        """
        futures = [await self._enqueue(event, topic, validate) for event, topic in events]
        return list(await asyncio.gather(*futures))

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers
    ) -> Any:
        """Send bytes as they are (dead letters, tests of malformed input)."""
        return await self._producer.send_and_wait(topic, value=value, key=key, headers=headers)

    async def _enqueue(self, event: CloudEvent, topic: str | None, validate: bool = True) -> Any:
        if validate:
            self._registry.check_data(event.type, event.data)
        key, value, headers = to_kafka(event)
        return await self._producer.send(
            topic or self.topic_of(event), value=value, key=key, headers=headers
        )
