"""JSON written by services.common.json_codec means what the standard library's did: the same
text for the documents we write, the same refusals, UTF-8 unescaped, and never a NaN token."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.common.json_codec import dumps, dumps_text
from services.common.schema_registry import SCHEMAS_ROOT

EXAMPLES = sorted(
    p for p in (SCHEMAS_ROOT / "examples").glob("*/*.json") if p.parent.name != "invalid"
)


def stdlib(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in EXAMPLES])
def test_example_events_are_written_byte_for_byte_as_before(path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    assert dumps(event) == stdlib(event)
    assert dumps_text(event) == stdlib(event).decode()


class Colour(enum.Enum):
    RED = "red"


class Level(enum.StrEnum):
    HIGH = "high"


@pytest.mark.parametrize(
    "value",
    [
        {"name": "Ṣelam ተስፋይ محمد", "n": 2**40, "x": 0.5, "ok": True, "none": None},
        {"big": 10**30, "small": -(10**25)},
        {"level": Level.HIGH, 1: "int key", "nested": [[], {}, ""]},
        ["\u2028", "\x00", "tab\t", 'quote"', "back\\slash"],
    ],
)
def test_same_meaning_as_the_standard_library(value: Any) -> None:
    assert json.loads(dumps(value)) == json.loads(stdlib(value))


def test_non_ascii_text_stays_utf8() -> None:
    assert dumps({"name": "محمد"}) == '{"name":"محمد"}'.encode()


@pytest.mark.parametrize(
    "value", [datetime(2025, 1, 1, tzinfo=UTC), {1, 2}, {(1, 2): "tuple key"}, object()]
)
def test_what_the_standard_library_refuses_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        stdlib(value)
    with pytest.raises(TypeError):
        dumps({"field": value})


def test_a_plain_enum_member_is_written_as_its_value() -> None:
    # The one thing orjson accepts that the standard library refused (it cannot be turned off).
    assert dumps({"colour": Colour.RED}) == b'{"colour":"red"}'


def test_lone_surrogates_are_refused_as_before() -> None:
    with pytest.raises(ValueError):
        stdlib("\ud800")
    with pytest.raises(ValueError):
        dumps({"field": "\ud800"})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_never_become_the_invalid_token(value: float) -> None:
    written = dumps({"x": value})
    assert json.loads(written, parse_constant=lambda name: pytest.fail(name)) == {"x": None}
