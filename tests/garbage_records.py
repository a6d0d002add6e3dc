"""Hypothesis strategies for Kafka records a consumer must set aside: each a (key, value,
headers) triple built from a valid event of ours and then broken in one way, with the kind of
breakage, so tests can say which dead-letter class it must get.

Kinds: not JSON, invalid UTF-8 (value or header), truncated, JSON but not a CloudEvent, a
CloudEvent of an unknown type, a known type whose data breaks its schema, missing or garbage
headers, deep nesting, non-JSON numbers, oversized values and headers. Personal data planted in
the broken parts (MARKER) must never reach a dead-letter reason.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from services.common.envelope import Headers, new_event, to_kafka
from services.common.schema_registry import SchemaRegistry
from tests.examples import example_data

MARKER = "Zebulon"  # a name: must never appear in a reason
Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]
ATTRIBUTES = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")


def valid_record(ce_type: str, n: int = 0) -> Record:
    data = dict(example_data(ce_type))
    subject = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ce_type}/{n}"))
    event = new_event(
        ce_type, "/kinlink/test", subject, data, time=datetime(2025, 5, 1, tzinfo=UTC)
    )
    key, value, headers = to_kafka(event)
    return key, value, list(headers)


def _without(headers: Headers | list[Any], name: str) -> list[tuple[str, bytes | None]]:
    return [(n, v) for n, v in headers if n != name]


def _replace(headers: list[Any], name: str, value: bytes | None) -> list[Any]:
    return [*_without(headers, name), (name, value)]


@st.composite
def _not_json(draw: Any, base: Record) -> Record:
    key, _, headers = base
    junk = draw(st.binary(min_size=1, max_size=300).filter(_unparseable))
    return key, junk, headers


def _unparseable(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False


@st.composite
def _invalid_utf8(draw: Any, base: Record) -> Record:
    key, value, headers = base
    assert value is not None
    if draw(st.booleans()):
        at = draw(st.integers(0, len(value)))
        return key, value[:at] + b"\xff\xfe" + value[at:], headers
    name = draw(st.sampled_from(ATTRIBUTES))
    return key, value, _replace(headers, name, b"\xc3(" + MARKER.encode())


@st.composite
def _truncated(draw: Any, base: Record) -> Record:
    key, value, headers = base
    assert value is not None
    return key, value[: draw(st.integers(0, len(value) - 1))], headers


@st.composite
def _not_a_cloudevent(draw: Any, base: Record) -> Record:
    key, value, headers = base
    name = draw(st.sampled_from(ATTRIBUTES))
    how = draw(st.sampled_from(["drop", "empty", "garbage", "no-value"]))
    if how == "drop":
        return key, value, _without(headers, name)
    if how == "no-value":
        return key, value, _replace(headers, name, None)
    if how == "empty":
        return key, value, _replace(headers, name, b"")
    garbage = {
        "ce_specversion": b"0.3",
        "ce_time": MARKER.encode(),
        "ce_id": b"",
        "ce_source": b"",
        "ce_type": b"",
    }[name]
    return key, value, _replace(headers, name, garbage)


@st.composite
def _unknown_type(draw: Any, base: Record) -> Record:
    key, value, headers = base
    name = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=60))
    ce_type = f"org.kinlink.{name}" if draw(st.booleans()) else name
    return key, value, _replace(headers, "ce_type", ce_type.encode())


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.just(MARKER)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=6,
    )


@functools.cache
def _required(ce_type: str) -> list[str]:
    registry = SchemaRegistry.load()
    return sorted(registry.schema(registry.schema_id_for(ce_type))["required"])


@st.composite
def _schema_violation(draw: Any, base: Record) -> Record:
    key, value, headers = base
    assert value is not None
    ce_type = dict(headers)["ce_type"]
    assert ce_type is not None
    data = json.loads(value)
    field = draw(st.sampled_from(_required(ce_type.decode())))
    how = draw(st.sampled_from(["drop", "retype", "extra", "root"]))
    if how == "drop":
        del data[field]
    elif how == "retype":  # an object where none is allowed, or a list for an object
        data[field] = [MARKER] if isinstance(data[field], dict) else {"x": MARKER}
    elif how == "extra":
        data["unexpected_field"] = draw(_json_values())
    else:
        data = draw(st.sampled_from([[MARKER], MARKER, 7, None, True]))
    return key, json.dumps(data).encode(), headers


@st.composite
def _garbage_headers(draw: Any, base: Record) -> Record:
    key, value, _ = base
    names = st.text(st.characters(codec="utf-8"), max_size=20)
    values = st.none() | st.binary(max_size=40)
    return key, value, draw(st.lists(st.tuples(names, values), max_size=6))


@st.composite
def _deeply_nested(draw: Any, base: Record) -> Record:
    key, _, headers = base
    depth = draw(st.sampled_from([100, 5_000, 200_000]))
    return key, b"[" * depth + b"]" * depth, headers


@st.composite
def _non_json_numbers(draw: Any, base: Record) -> Record:
    key, value, headers = base
    assert value is not None
    data = json.loads(value)
    field = draw(st.sampled_from(sorted(data)))
    number = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e400", b"9" * 5000]))
    text = json.dumps({**data, field: "__N__"}).encode()
    return key, text.replace(b'"__N__"', number), headers


@st.composite
def _oversized(draw: Any, base: Record) -> Record:
    key, value, headers = base
    assert value is not None
    if draw(st.booleans()):
        data = json.loads(value)
        padded = json.dumps({**data, "padding": MARKER * 80_000}).encode()  # ~560 kB
        return key, padded, headers
    return key, value, [*headers, ("x_trace", b"x" * 70_000)]


# kind -> (strategy on a valid record, the dead-letter classes it may get)
BREAKAGES: dict[str, tuple[Any, set[str]]] = {
    "not_json": (_not_json, {"decode"}),
    "invalid_utf8": (_invalid_utf8, {"decode"}),
    "truncated": (_truncated, {"decode"}),
    "not_a_cloudevent": (_not_a_cloudevent, {"decode"}),
    "unknown_type": (_unknown_type, {"unknown_type", "decode"}),
    "schema_violation": (_schema_violation, {"schema"}),
    "garbage_headers": (_garbage_headers, {"decode"}),
    "deeply_nested": (_deeply_nested, {"decode", "schema"}),
    "non_json_numbers": (_non_json_numbers, {"decode"}),
    "oversized": (_oversized, {"oversized"}),
}


@st.composite
def broken_records(draw: Any, ce_types: list[str]) -> tuple[str, Record]:
    """(kind, record): one valid event of a type in `ce_types`, broken one way."""
    ce_type = draw(st.sampled_from(ce_types))
    kind = draw(st.sampled_from(sorted(BREAKAGES)))
    strategy, _ = BREAKAGES[kind]
    return kind, draw(strategy(valid_record(ce_type, draw(st.integers(0, 5)))))
