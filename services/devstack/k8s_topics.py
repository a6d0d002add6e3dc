"""Strimzi `KafkaTopic` resources generated from the topic list (infra/kafka/topics.yaml).

The topic list is the one source: the local stack creates its topics from it with replication
factor 1; a cluster gets the same names, partitions, retention and cleanup policy with
replication factor 3 and `min.insync.replicas` 2, so `acks=all` survives losing one broker;
the compaction bounds of the list (segment.ms, max/min.compaction.lag.ms) come along.
`kinlink infra k8s-topics` writes infra/k8s/kafka-topics.yaml; a test keeps the file equal to
what this module renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from services.common.topics import TopicSpec, load_topic_specs
from services.devstack.paths import REPO_ROOT

K8S_TOPICS_FILE = REPO_ROOT / "infra" / "k8s" / "kafka-topics.yaml"
KAFKA_CLUSTER = "kinlink"  # metadata.name of the Strimzi Kafka resource (infra/k8s/kafka.yaml)
CLUSTER_REPLICAS = 3
CLUSTER_MIN_INSYNC_REPLICAS = 2

_HEADER = """\
# GENERATED from infra/kafka/topics.yaml by `kinlink infra k8s-topics`: do not edit by hand.
# Strimzi KafkaTopic resources: the names, partitions, retention, cleanup policy and compaction
# bounds of the topic list, with replication factor {replicas} and min.insync.replicas {min_isr}
# (the list's replication factor 1 is for the single-broker local stack).
"""


def resource_name(topic: str) -> str:
    """A Kubernetes-friendly name for a Kafka topic (`kinlink.alerts` -> `kinlink-alerts`)."""
    return topic.replace(".", "-").replace("_", "-").lower()


def kafka_topic(
    spec: TopicSpec,
    cluster: str = KAFKA_CLUSTER,
    replicas: int = CLUSTER_REPLICAS,
    min_insync_replicas: int = CLUSTER_MIN_INSYNC_REPLICAS,
) -> dict[str, Any]:
    """One `KafkaTopic`; `topicName` is explicit so the Kafka name never depends on the
    resource name."""
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {
            "name": resource_name(spec.name),
            "labels": {"strimzi.io/cluster": cluster, "app.kubernetes.io/part-of": "kinlink"},
        },
        "spec": {
            "topicName": spec.name,
            "partitions": spec.partitions,
            "replicas": replicas,
            "config": strimzi_config(spec, min_insync_replicas),
        },
    }


def strimzi_config(spec: TopicSpec, min_insync_replicas: int) -> dict[str, Any]:
    """The topic's configs as Strimzi takes them (numbers as numbers), with the cluster's
    `min.insync.replicas`."""
    configs: dict[str, Any] = {}
    for name, value in spec.configs().items():
        configs[name] = value if name == "cleanup.policy" else yaml.safe_load(value)
    configs["min.insync.replicas"] = min_insync_replicas
    return configs


def render(specs: Iterable[TopicSpec] | None = None, cluster: str = KAFKA_CLUSTER) -> str:
    """The text of infra/k8s/kafka-topics.yaml: a header and one document per topic."""
    topics = [kafka_topic(spec, cluster) for spec in (specs or load_topic_specs())]
    header = _HEADER.format(replicas=CLUSTER_REPLICAS, min_isr=CLUSTER_MIN_INSYNC_REPLICAS)
    return header + yaml.safe_dump_all(topics, sort_keys=False, explicit_start=True)
