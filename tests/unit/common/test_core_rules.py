"""Small rules of the shared core: configuration, topic routing, dead letters, migration files."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from services.common.catalog import topic_for_type
from services.common.config import CommonSettings
from services.common.dead_letters import dead_letter, header
from services.common.migrations import MigrationError, discover
from services.common.topics import load_topic_specs


def test_settings_defaults_point_at_the_local_stack() -> None:
    settings = CommonSettings.from_env({})
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5433/kinlink"
    assert settings.topic("kinlink.alerts") == "kinlink.alerts"


def test_settings_from_environment() -> None:
    settings = CommonSettings.from_env(
        {
            "KINLINK_KAFKA_BOOTSTRAP": "k1:9092,k2:9092",
            "KINLINK_TOPIC_PREFIX": "staging.",
            "KINLINK_POSTGRES_PORT": "6000",
        }
    )
    assert settings.kafka_bootstrap == "k1:9092,k2:9092"
    assert settings.database_url.endswith(":6000/kinlink")
    assert settings.topic("kinlink.alerts") == "staging.kinlink.alerts"
    with pytest.raises(ValueError, match="KINLINK_KAFKA_PORT"):
        CommonSettings.from_env({"KINLINK_KAFKA_PORT": "ninety"})


def test_every_event_type_has_a_declared_topic() -> None:
    declared = {spec.name for spec in load_topic_specs()}
    for entity_fact in (
        "alert.published",
        "alert.updated",
        "alert.resolved",
        "registration.recorded",
        "sighting.reported",
        "match.proposed",
        "match.reviewed",
    ):
        assert topic_for_type(f"org.kinlink.{entity_fact}.v1") in declared
    with pytest.raises(KeyError):
        topic_for_type("org.kinlink.parcel.lost.v1")


def test_dead_letter_keeps_the_record_and_says_where_it_came_from() -> None:
    record = SimpleNamespace(
        topic="kinlink.alerts",
        partition=4,
        offset=17,
        key=b"k",
        value=b"\x00raw",
        headers=[("ce_id", b"e-1"), ("dlq_reason", b"old")],
    )
    letter = dead_letter(
        record,
        reason="schema: /status: is required",
        error_class="schema",
        consumer="kinlink-correlator",
    )
    assert (letter.key, letter.value) == (b"k", b"\x00raw")
    assert header(letter.headers, "ce_id") == "e-1"
    assert header(letter.headers, "dlq_reason") == "schema: /status: is required"
    assert header(letter.headers, "dlq_original_topic") == "kinlink.alerts"
    assert header(letter.headers, "dlq_original_partition") == "4"
    assert header(letter.headers, "dlq_original_offset") == "17"
    assert [n for n, _ in letter.headers].count("dlq_reason") == 1


def test_migrations_are_ordered_and_named(tmp_path: Path) -> None:
    (tmp_path / "0002_second.sql").write_text("SELECT 2;")
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    found = discover({"svc": tmp_path})
    assert [m.version for m in found] == ["svc/0001_first", "svc/0002_second"]
    (tmp_path / "3_bad name.sql").write_text("")
    with pytest.raises(MigrationError, match="NNNN_lower_snake"):
        discover({"svc": tmp_path})
