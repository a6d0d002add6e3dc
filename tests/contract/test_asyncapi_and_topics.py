"""AsyncAPI document and topic list agree with each other and with the schema files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from .layout import ASYNCAPI_FILE, CONTRACT_TYPES, SCHEMAS, TOPICS_FILE, read_json

DRAFT_07 = "application/schema+json;version=draft-07"


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ASYNCAPI_FILE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def topics() -> dict[str, dict[str, Any]]:
    listed = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))["topics"]
    return {topic["name"]: topic for topic in listed}


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def resolve(document: dict[str, Any], ref: str) -> Any:
    """Follow a local or file $ref from the AsyncAPI document; fail if it dangles."""
    location, _, fragment = ref.partition("#")
    target: Any = document
    if location:
        path = (ASYNCAPI_FILE.parent / location).resolve()
        assert path.is_file(), f"{ref} points to no file"
        assert path.is_relative_to(SCHEMAS)
        target = read_json(path)
    for token in [t for t in fragment.split("/") if t]:
        token = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(target, dict) and token in target, f"{ref} does not resolve"
        target = target[token]
    return target


def payload_type(document: dict[str, Any], message_ref: str) -> str:
    message = resolve(document, message_ref)
    file_ref = str(message["payload"]["schema"]["$ref"])
    return "org.kinlink." + file_ref.removeprefix("./events/").removesuffix(".json")


def test_document_is_asyncapi_3_with_the_local_kafka_server(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    assert asyncapi["servers"]["local"] == {
        **asyncapi["servers"]["local"],
        "host": "127.0.0.1:9092",
        "protocol": "kafka",
    }


def test_every_ref_resolves(asyncapi: dict[str, Any]) -> None:
    refs = list(refs_in(asyncapi))
    assert any(not ref.startswith("#") for ref in refs)
    for ref in refs:
        resolve(asyncapi, ref)


def test_payload_refs_point_at_schema_files_with_matching_id(asyncapi: dict[str, Any]) -> None:
    for message in asyncapi["components"]["messages"].values():
        assert message["payload"]["schemaFormat"] == DRAFT_07
        ref = message["payload"]["schema"].get("$ref")
        if ref is not None:
            schema = resolve(asyncapi, ref)
            assert schema["$id"] == "https://schemas.kinlink.org/" + ref.removeprefix("./")


def test_channels_and_topic_list_agree(
    asyncapi: dict[str, Any], topics: dict[str, dict[str, Any]]
) -> None:
    channels = asyncapi["channels"].values()
    assert sorted(c["address"] for c in channels) == sorted(topics)
    for channel in channels:
        topic = topics[channel["address"]]
        binding = channel["bindings"]["kafka"]
        assert binding["topic"] == topic["name"]
        assert binding["partitions"] == topic["partitions"]
        assert binding["replicas"] == topic["replication_factor"]
        config = binding["topicConfiguration"]
        assert sorted(config["cleanup.policy"]) == sorted(topic["cleanup_policy"].split(","))
        assert config["retention.ms"] == topic["retention_ms"]


def test_every_event_type_is_carried_by_exactly_one_channel(asyncapi: dict[str, Any]) -> None:
    carriers: dict[str, list[str]] = {}
    for name, channel in asyncapi["channels"].items():
        for message in channel["messages"].values():
            if "$ref" in resolve(asyncapi, message["$ref"])["payload"]["schema"]:
                carriers.setdefault(payload_type(asyncapi, message["$ref"]), []).append(name)
    assert sorted(carriers) == sorted(CONTRACT_TYPES)
    assert all(len(channels) == 1 for channels in carriers.values()), carriers


def test_message_headers_name_the_type_of_their_payload(asyncapi: dict[str, Any]) -> None:
    for name, message in asyncapi["components"]["messages"].items():
        if name == "deadLetter":
            continue
        pinned = message["headers"]["allOf"][1]["properties"]["ce_type"]["const"]
        assert pinned == payload_type(asyncapi, f"#/components/messages/{name}")


def test_operations_send_and_receive_every_event_channel(asyncapi: dict[str, Any]) -> None:
    actions: dict[str, set[str]] = {}
    for operation in asyncapi["operations"].values():
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        actions.setdefault(channel, set()).add(operation["action"])
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"#/channels/{channel}/messages/")
    for channel in ("alerts", "registrations", "sightings", "matches", "reviews"):
        assert actions[channel] == {"send", "receive"}, channel


def test_dead_letter_headers_say_why_and_from_where(asyncapi: dict[str, Any]) -> None:
    headers = asyncapi["components"]["messages"]["deadLetter"]["headers"]
    assert set(headers["required"]) == {
        "dlq_reason", "dlq_original_topic", "dlq_original_partition",
        "dlq_original_offset", "dlq_error_class", "dlq_failed_at",
    }  # fmt: skip


def test_topic_list_is_complete_and_sized(topics: dict[str, dict[str, Any]]) -> None:
    fields = {
        "name", "partitions", "replication_factor", "retention_ms", "cleanup_policy", "key",
        "description",
    }  # fmt: skip
    optional = {
        "segment_ms", "max_compaction_lag_ms", "min_compaction_lag_ms",
        "min_cleanable_dirty_ratio",
    }  # fmt: skip
    assert all(fields <= set(topic) <= fields | optional for topic in topics.values())
    day_ms = 86_400_000
    assert topics["kinlink.alerts"]["retention_ms"] >= 5 * 365 * day_ms  # SIS Art. 53
    assert topics["kinlink.dlq"]["retention_ms"] == 30 * day_ms
    assert topics["kinlink.dlq"]["partitions"] == 3
    for name in ("alerts", "registrations", "sightings", "matches", "reviews"):
        assert topics[f"kinlink.{name}"]["partitions"] == 6
        assert topics[f"kinlink.{name}"]["replication_factor"] == 1
    assert topics["kinlink.alerts"]["key"] == "alert_id"
    assert topics["kinlink.matches"]["key"] == topics["kinlink.reviews"]["key"] == "match_id"
