"""A local Kafka cluster of N combined broker+controller nodes on loopback (KRaft), built from
the single nodes of `kafka`: one cluster id kept beside them, a controller quorum of all N, and
replication settings that keep acknowledged writes when one node dies (the chaos tests' Kafka).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from services.devstack.kafka import (
    CLUSTER_HEAP_OPTS,
    HEAP_OPTS,
    LocalKafka,
    new_cluster_id,
    resolve_jars,
)
from services.devstack.paths import cache_dir


@dataclass(frozen=True)
class KafkaCluster:
    """N combined broker+controller nodes on loopback: one cluster id, a quorum of all N.

    Node i (from 1) listens on `base_port + 2(i-1)` and its controller on the next port. With
    three nodes, topics default to replication factor 3 and `min.insync.replicas=2`, so that an
    `acks=all` producer keeps writing, and nothing acknowledged is lost, when one node dies.
    """

    size: int = 3
    base_port: int = 29092
    name: str = "kafka-cluster"

    @property
    def replication_factor(self) -> int:
        return min(3, self.size)

    @property
    def min_insync(self) -> int:
        return max(1, self.replication_factor - 1)

    @property
    def home(self) -> Path:
        return cache_dir() / self.name

    def _cluster_id(self) -> str:
        """One id for every node, kept beside them so that restarts reuse it."""
        path = self.home / "cluster.id"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_cluster_id())
        return path.read_text().strip()

    @property
    def nodes(self) -> list[LocalKafka]:
        ports = [(self.base_port + 2 * i, self.base_port + 2 * i + 1) for i in range(self.size)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports))
        cluster_id = self._cluster_id()
        return [
            LocalKafka(
                port=port,
                controller_port=controller,
                name=f"{self.name}/node-{i + 1}",
                node_id=i + 1,
                quorum_voters=voters,
                cluster_id=cluster_id,
                replication_factor=self.replication_factor,
                min_insync=self.min_insync,
                heap=tuple(CLUSTER_HEAP_OPTS if self.size > 1 else HEAP_OPTS),
            )
            for i, (port, controller) in enumerate(ports)
        ]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def start(self, timeout: float = 120.0) -> None:
        """Start every node not running (all at once), then wait until each listens. Nodes
        format their storage and launch in parallel: each format is a JVM start of its own."""
        resolve_jars()  # once, before the nodes look for the jars at the same time
        with ThreadPoolExecutor(max_workers=self.size) as pool:
            launched = [node for node, ran in zip(self.nodes, pool.map(LocalKafka.launch,
                        self.nodes), strict=True) if ran]  # fmt: skip
        for node in launched:
            node.wait_listening(timeout)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def wipe(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
