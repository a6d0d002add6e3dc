"""The local Kafka: one node alone, or a cluster of N nodes with one id and one quorum."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.topics import load_topic_specs, replicated
from services.devstack.kafka import LocalKafka
from services.devstack.kafka_cluster import KafkaCluster


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINLINK_CACHE_DIR", str(tmp_path))


def _config(node: LocalKafka) -> dict[str, str]:
    text = node._write_config().read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


def test_a_single_node_is_its_own_quorum_with_replication_one() -> None:
    config = _config(LocalKafka(port=19092, controller_port=19093))
    assert config["node.id"] == "1"
    assert config["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert config["default.replication.factor"] == "1"
    assert config["min.insync.replicas"] == "1"


def test_three_nodes_share_a_quorum_and_replicate_three_times() -> None:
    cluster = KafkaCluster(size=3, base_port=28910, name="cluster")
    nodes = cluster.nodes
    configs = [_config(node) for node in nodes]
    voters = "1@127.0.0.1:28911,2@127.0.0.1:28913,3@127.0.0.1:28915"
    assert [c["node.id"] for c in configs] == ["1", "2", "3"]
    assert {c["controller.quorum.voters"] for c in configs} == {voters}
    assert {c["listeners"] for c in configs} == {
        f"PLAINTEXT://127.0.0.1:{p},CONTROLLER://127.0.0.1:{p + 1}" for p in (28910, 28912, 28914)
    }
    for config in configs:
        assert config["default.replication.factor"] == "3"
        assert config["min.insync.replicas"] == "2"
        assert config["offsets.topic.replication.factor"] == "3"
        assert config["unclean.leader.election.enable"] == "false"
    assert len({node.cluster_id for node in nodes}) == 1 and nodes[0].cluster_id
    assert cluster.bootstrap == "127.0.0.1:28910,127.0.0.1:28912,127.0.0.1:28914"


def test_topics_can_be_created_replicated_with_a_min_insync() -> None:
    for spec in replicated(load_topic_specs(), 3, 2):
        assert spec.replication_factor == 3
        assert spec.configs()["min.insync.replicas"] == "2"
    assert "min.insync.replicas" not in load_topic_specs()[0].configs()
