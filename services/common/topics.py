"""The topic list (infra/kafka/topics.yaml) and topic creation; the names are in `catalog`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

TOPICS_FILE = Path(__file__).resolve().parents[2] / "infra" / "kafka" / "topics.yaml"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    retention_ms: int
    cleanup_policy: str
    min_insync_replicas: int | None = None  # None: the broker's default

    def configs(self) -> dict[str, str]:
        configs = {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}
        if self.min_insync_replicas is not None:
            configs["min.insync.replicas"] = str(self.min_insync_replicas)
        return configs


def replicated(specs: Iterable[TopicSpec], factor: int, min_insync: int) -> list[TopicSpec]:
    """The specs with another replication factor and `min.insync.replicas` (a production
    cluster: 3 and 2, so that the producers' acks=all survives the loss of one broker)."""
    return [
        replace(spec, replication_factor=factor, min_insync_replicas=min_insync) for spec in specs
    ]


def load_topic_specs(path: Path = TOPICS_FILE) -> list[TopicSpec]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return [
        TopicSpec(
            name=item["name"],
            partitions=int(item["partitions"]),
            replication_factor=int(item["replication_factor"]),
            retention_ms=int(item["retention_ms"]),
            cleanup_policy=str(item["cleanup_policy"]),
        )
        for item in doc["topics"]
    ]


async def _wait_for_leaders(admin: Any, names: list[str], timeout: float = 30.0) -> None:
    """Creation is asynchronous in the controller; wait until every partition has a leader."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = await admin.describe_topics(names)
        ready = all(
            topic.get("error_code", 0) == 0
            and topic["partitions"]
            and all(p.get("leader", -1) >= 0 for p in topic["partitions"])
            for topic in described
        )
        if ready or asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.1)


async def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    prefix: str = "",
    client_options: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created. Idempotent.
    `client_options`: TLS/SASL (CommonSettings.kafka_client_options)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from services.common.kafka_access import start_client

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=30000, **(client_options or {})
    )
    await start_client(admin, bootstrap, client_options)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=f"{prefix}{spec.name}",
                num_partitions=spec.partitions,
                replication_factor=spec.replication_factor,
                topic_configs=spec.configs(),
            )
            for spec in specs
            if f"{prefix}{spec.name}" not in existing
        ]
        if wanted:
            await admin.create_topics(wanted)
            await _wait_for_leaders(admin, [t.name for t in wanted])
            log.info("topics created: %s", ", ".join(t.name for t in wanted))
        return [t.name for t in wanted]
    finally:
        await admin.close()
