"""CloudEvents envelope: binary and structured modes carry the same event, bad input is named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.common.catalog import dataschema_for
from services.common.envelope import (
    EnvelopeError,
    from_kafka,
    from_structured,
    new_event,
    to_kafka,
    to_structured,
)

TYPE = "org.kinlink.sighting.reported.v1"


def event() -> object:
    return new_event(
        TYPE,
        "/kinlink/intake/ngo-1",
        "c0ffee00-0000-4000-8000-000000000001",
        {"sighting_id": "c0ffee00-0000-4000-8000-000000000001", "note": "Ğ ü"},
        time=datetime(2025, 4, 19, 16, 30, tzinfo=UTC),
        extensions={"correlationid": "r-1"},
    )


def test_binary_mode_round_trip_keeps_every_attribute() -> None:
    original = event()
    key, value, headers = to_kafka(original)  # type: ignore[arg-type]
    assert key == b"c0ffee00-0000-4000-8000-000000000001"
    assert dict(headers)["ce_type"] == TYPE.encode()
    assert dict(headers)["ce_correlationid"] == b"r-1"
    assert from_kafka(key, value, headers) == original


def test_structured_mode_round_trip_and_dataschema() -> None:
    original = event()
    obj = json.loads(json.dumps(to_structured(original)))  # type: ignore[arg-type]
    assert obj["time"] == "2025-04-19T16:30:00Z"
    assert obj["dataschema"] == dataschema_for(TYPE)
    assert dataschema_for(TYPE) == "https://schemas.kinlink.org/events/sighting.reported.v1.json"
    assert from_structured(obj) == original


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (b"{not json", None, "not valid JSON"),
        (None, None, "no value"),
        (b"{}", [("ce_specversion", b"1.0"), ("ce_id", b"x")], "missing"),
        (b"{}", [("ce_specversion", b"0.3")], "missing"),
        (b"{}", [("content-type", b"application/xml")], "application/json"),
        (b"{}", [("ce_id", b"\xff")], "UTF-8"),
    ],
)
def test_undecodable_records_are_named(
    value: bytes | None, headers: list | None, reason: str
) -> None:
    if headers is None:
        _, _, headers = to_kafka(event())  # type: ignore[arg-type]
    with pytest.raises(EnvelopeError, match=reason):
        from_kafka(b"k", value, headers)


def test_key_must_match_subject() -> None:
    _, value, headers = to_kafka(event())  # type: ignore[arg-type]
    with pytest.raises(EnvelopeError, match="key differs"):
        from_kafka(b"another-entity", value, headers)


def test_time_without_offset_is_rejected() -> None:
    obj = to_structured(event())  # type: ignore[arg-type]
    obj["time"] = "2025-04-19T16:30:00"
    with pytest.raises(EnvelopeError, match="UTC offset"):
        from_structured(obj)
