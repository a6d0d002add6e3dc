"""The schema registry's promises to its callers: formats enforced, clear problems, fail fast."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.common.schema_problems import ValidationProblem
from services.common.schema_registry import (
    EventValidationError,
    SchemaRegistry,
    UnknownEventType,
    type_to_schema_path,
)

from .layout import EXAMPLES, SCHEMAS, read_json

RESOLVED = "org.kinlink.alert.resolved.v1"
LOCATION_ID = "https://schemas.kinlink.org/defs/location.v1.json"


def resolved(**overrides: object) -> dict[str, object]:
    data = read_json(EXAMPLES / "alert.resolved.v1" / "02-selam-withdrawn.json")["data"]
    assert isinstance(data, dict)
    return {**data, **overrides}


@pytest.mark.parametrize("bad", ["next tuesday", "2025-04-22T15:20:00", "2025-04-22 15:20Z"])
def test_date_time_format_is_enforced(registry: SchemaRegistry, bad: str) -> None:
    assert registry.data_problems(RESOLVED, resolved(at=bad)) == [
        ValidationProblem(
            "/at", "is not a valid RFC 3339 date-time with offset (e.g. 2025-03-01T14:30:00Z)"
        )
    ]


def test_uuid_format_is_enforced(registry: SchemaRegistry) -> None:
    problems = registry.data_problems(RESOLVED, resolved(alert_id="6ad84f4d-942f-4759"))
    assert problems == [ValidationProblem("/alert_id", "is not a valid UUID")]


def test_check_data_raises_with_every_problem(registry: SchemaRegistry) -> None:
    with pytest.raises(EventValidationError) as raised:
        registry.check_data(RESOLVED, resolved(alert_id="x", resolution="closed", extra=1))
    assert [p.pointer for p in raised.value.problems] == ["/alert_id", "/extra", "/resolution"]
    assert "closed" not in str(raised.value)
    registry.check_data(RESOLVED, resolved())


@pytest.mark.parametrize("value", ["2010", "2010-01", "2010-01-01", None])
def test_partial_birth_dates_are_accepted(registry: SchemaRegistry, value: object) -> None:
    sighting = read_json(EXAMPLES / "sighting.reported.v1" / "01-hotline-paris-partial.json")
    sighting["data"]["child"]["date_of_birth"] = value
    assert registry.envelope_problems(sighting) == []


@pytest.mark.parametrize("value", ["2010-1", "01-01-2010", "2010-00", "2010-01-32", "c. 2010"])
def test_malformed_birth_dates_are_rejected(registry: SchemaRegistry, value: str) -> None:
    sighting = read_json(EXAMPLES / "sighting.reported.v1" / "01-hotline-paris-partial.json")
    sighting["data"]["child"]["date_of_birth"] = value
    assert registry.envelope_problems(sighting) == [
        ValidationProblem(
            "/data/child/date_of_birth",
            "is not a valid partial date (YYYY, YYYY-MM or YYYY-MM-DD)",
        )
    ]


def test_unknown_type_is_a_key_error(registry: SchemaRegistry) -> None:
    with pytest.raises(UnknownEventType):
        registry.schema_id_for("org.kinlink.alert.deleted.v1")
    with pytest.raises(KeyError):
        registry.data_problems("org.kinlink.alert.published.v9", {})


def test_type_maps_to_its_schema_path() -> None:
    assert type_to_schema_path("org.kinlink.alert.published.v1") == (
        "events/alert.published.v1.json"
    )
    with pytest.raises(ValueError):
        type_to_schema_path("com.example.alert.published.v1")


def test_envelope_reports_non_objects_at_the_root_and_data(registry: SchemaRegistry) -> None:
    assert registry.envelope_problems([]) == [ValidationProblem("", "must be an object")]
    event = read_json(EXAMPLES / "alert.resolved.v1" / "02-selam-withdrawn.json")
    event["data"] = "found"
    assert registry.envelope_problems(event) == [ValidationProblem("/data", "must be an object")]


def test_extension_attributes_follow_cloudevents_naming(registry: SchemaRegistry) -> None:
    event = read_json(EXAMPLES / "alert.resolved.v1" / "02-selam-withdrawn.json")
    event.update(
        correlationid="req-1", partnerseq=42, traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    )
    assert registry.envelope_problems(event) == []
    event["partner_seq"] = 42
    assert [p.pointer for p in registry.envelope_problems(event)] == ["/partner_seq"]


def test_validator_is_compiled_once_for_any_schema_id(registry: SchemaRegistry) -> None:
    validator = registry.validator(LOCATION_ID)
    assert registry.validator(LOCATION_ID) is validator
    assert not validator.is_valid({"lat": 91, "lon": 0})
    assert validator.is_valid({"lat": 43.79, "lon": 7.61, "country": "ITA"})


def test_load_refuses_a_schema_whose_id_does_not_mirror_its_path(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy, ignore=shutil.ignore_patterns("examples", "*.yaml"))
    moved = copy / "events" / "alert.resolved.v1.json"
    schema = json.loads(moved.read_text(encoding="utf-8"))
    schema["$id"] = "https://schemas.kinlink.org/events/alert.closed.v1.json"
    moved.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(ValueError, match=r"\$id"):
        SchemaRegistry.load(copy)
