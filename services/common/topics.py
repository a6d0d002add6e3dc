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

_BROKER_SEGMENT_MS = 7 * 86_400_000  # Kafka's log.roll.hours default (168)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    retention_ms: int
    cleanup_policy: str
    min_insync_replicas: int | None = None  # None: the broker's default
    # Compaction bounds (None: the broker's default). A compacted topic needs segment_ms and
    # max_compaction_lag_ms so that a superseded record leaves the log within a known time.
    segment_ms: int | None = None
    max_compaction_lag_ms: int | None = None
    min_compaction_lag_ms: int | None = None
    min_cleanable_dirty_ratio: float | None = None

    @property
    def compacted(self) -> bool:
        return "compact" in self.cleanup_policy.split(",")

    def configs(self) -> dict[str, str]:
        """The topic-level Kafka configs this spec sets (what creation and reconciliation
        apply); an unset optional field leaves the broker's default."""
        configs = {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}
        optional: dict[str, int | float | None] = {
            "min.insync.replicas": self.min_insync_replicas,
            "segment.ms": self.segment_ms,
            "max.compaction.lag.ms": self.max_compaction_lag_ms,
            "min.compaction.lag.ms": self.min_compaction_lag_ms,
            "min.cleanable.dirty.ratio": self.min_cleanable_dirty_ratio,
        }
        configs |= {name: str(value) for name, value in optional.items() if value is not None}
        return configs

    def erasure_bound_ms(self) -> int:
        """How long a record superseded by a later record of its key (an erasure) can stay in
        the log: max.compaction.lag.ms on a compacted topic, else the whole retention plus one
        segment (a segment is deleted once its newest record is past retention.ms)."""
        if self.compacted and self.max_compaction_lag_ms is not None:
            return self.max_compaction_lag_ms
        return self.retention_ms + (self.segment_ms or _BROKER_SEGMENT_MS)


def replicated(specs: Iterable[TopicSpec], factor: int, min_insync: int) -> list[TopicSpec]:
    """The specs with another replication factor and `min.insync.replicas` (a production
    cluster: 3 and 2, so that the producers' acks=all survives the loss of one broker)."""
    return [
        replace(spec, replication_factor=factor, min_insync_replicas=min_insync) for spec in specs
    ]


def _optional(item: Mapping[str, Any], field: str, kind: type[int] | type[float]) -> Any:
    value = item.get(field)
    return None if value is None else kind(value)


def load_topic_specs(path: Path = TOPICS_FILE) -> list[TopicSpec]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return [
        TopicSpec(
            name=item["name"],
            partitions=int(item["partitions"]),
            replication_factor=int(item["replication_factor"]),
            retention_ms=int(item["retention_ms"]),
            cleanup_policy=str(item["cleanup_policy"]),
            segment_ms=_optional(item, "segment_ms", int),
            max_compaction_lag_ms=_optional(item, "max_compaction_lag_ms", int),
            min_compaction_lag_ms=_optional(item, "min_compaction_lag_ms", int),
            min_cleanable_dirty_ratio=_optional(item, "min_cleanable_dirty_ratio", float),
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


@dataclass(frozen=True)
class TopicSync:
    """What `sync_topics` did: the topics it created, and per existing topic whose configs
    differed from the list, the names of the configs it altered."""

    created: list[str]
    altered: dict[str, list[str]]


async def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    prefix: str = "",
    client_options: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create the missing topics and reconcile the configs of existing ones (`sync_topics`);
    return the names created. Idempotent."""
    return (await sync_topics(bootstrap, specs, prefix, client_options)).created


async def sync_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    prefix: str = "",
    client_options: Mapping[str, Any] | None = None,
) -> TopicSync:
    """Create the topics that do not exist yet, with their configs; on those that exist, set
    the configs the list names where they differ (services.common.topic_configs). Partition
    counts of existing topics are never changed (that would re-map keys). Idempotent.
    `client_options`: TLS/SASL (CommonSettings.kafka_client_options)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from services.common.kafka_access import start_client
    from services.common.topic_configs import reconcile_configs

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=30000, **(client_options or {})
    )
    await start_client(admin, bootstrap, client_options)
    try:
        existing = set(await admin.list_topics())
        specs = list(specs)
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
        altered = await reconcile_configs(
            admin,
            {
                f"{prefix}{spec.name}": spec.configs()
                for spec in specs
                if f"{prefix}{spec.name}" in existing
            },
        )
        return TopicSync(created=[t.name for t in wanted], altered=altered)
    finally:
        await admin.close()
