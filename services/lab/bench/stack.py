"""The bench's own broker and database: started once for the intake and latency parts, on
their own ports and cache folders (so a developer's `make up` stack is never touched), wiped at
start and stopped at the end. KINLINK_KAFKA_BOOTSTRAP / KINLINK_DATABASE_URL, when set, point
at external systems instead."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager

from services.common.config import env_int
from services.common.topics import ensure_topics, load_topic_specs
from services.devstack.kafka import LocalKafka
from services.devstack.postgres import LocalPostgres

DEFAULT_KAFKA_PORT = 19192
DEFAULT_POSTGRES_PORT = 15533


@contextmanager
def bench_stack() -> Iterator[None]:
    """Kafka and PostgreSQL for the parts that need them, exported through the KINLINK_*
    variables the parts (and the service processes they start) read."""
    kafka_port = env_int(os.environ, "KINLINK_BENCH_KAFKA_PORT", DEFAULT_KAFKA_PORT)
    pg_port = env_int(os.environ, "KINLINK_BENCH_POSTGRES_PORT", DEFAULT_POSTGRES_PORT)
    kafka = LocalKafka(port=kafka_port, controller_port=kafka_port + 1,
                       name=f"bench-kafka-{kafka_port}")
    postgres = LocalPostgres(port=pg_port, name=f"bench-postgres-{pg_port}")
    own_kafka = not os.environ.get("KINLINK_KAFKA_BOOTSTRAP")
    own_database = not os.environ.get("KINLINK_DATABASE_URL")
    saved = {k: os.environ.get(k) for k in ("KINLINK_KAFKA_BOOTSTRAP", "KINLINK_DATABASE_URL")}
    try:
        if own_kafka:
            kafka.wipe()
            kafka.start()
            os.environ["KINLINK_KAFKA_BOOTSTRAP"] = kafka.bootstrap
        if own_database:
            postgres.wipe()
            postgres.start()
            os.environ["KINLINK_DATABASE_URL"] = postgres.url
        asyncio.run(ensure_topics(os.environ["KINLINK_KAFKA_BOOTSTRAP"], load_topic_specs()))
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if own_kafka:
            kafka.stop()
        if own_database:
            postgres.stop()
