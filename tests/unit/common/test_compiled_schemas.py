"""The compiled fast path and the detailed validator give one verdict: every example is valid
in both, every mutation of one is invalid in both and the detailed errors name the mutated field;
formats behave as python-jsonschema's; cross-file $refs resolve without the network."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import FormatChecker

from services.common.compiled_schemas import CompiledSchemas
from services.common.schema_problems import json_pointer, problems_of
from services.common.schema_registry import ENVELOPE_SCHEMA_ID, SCHEMAS_ROOT, SchemaRegistry
from services.intake import validation as v
from tests.integration.intake import bodies

EXAMPLES = SCHEMAS_ROOT / "examples"
VALID_EXAMPLES = sorted(p for p in EXAMPLES.glob("*/*.json") if p.parent.name != "invalid")
INVALID_EXAMPLES = sorted((EXAMPLES / "invalid").glob("*.json"))
BODIES = {
    v.ALERT_CREATE: bodies.alert(),
    v.REGISTRATION_CREATE: bodies.registration(),
    v.SIGHTING_CREATE: bodies.sighting(),
    v.ALERT_RESOLVE: {"resolution": "found", "found_location": bodies.location()},
}
Pointer = tuple[str | int, ...]


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.load()


def _documents() -> Iterator[tuple[str, str, Any]]:
    """(name, schema id, valid document): example events' data, and a body for each door."""
    registry = SchemaRegistry.load()
    for path in VALID_EXAMPLES:
        event = json.loads(path.read_text(encoding="utf-8"))
        name = f"{path.parent.name}/{path.name}"
        yield name, ENVELOPE_SCHEMA_ID, event
        yield name + "#data", registry.schema_id_for(event["type"]), event["data"]
    for schema_id, body in BODIES.items():
        yield schema_id.rsplit("/", 1)[1], schema_id, body


DOCUMENTS = list(_documents())
DOCUMENT_FIELDS = ("name", "schema_id", "document")
DOCUMENT_IDS = [name for name, _, _ in DOCUMENTS]


def _leaves(node: Any, path: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path, node


def _inside_event_data(schema_id: str, path: Pointer) -> bool:
    """The envelope schema leaves `data` to the type's schema (checked as its own document)."""
    return schema_id == ENVELOPE_SCHEMA_ID and path[:1] == ("data",)


def _replaced(document: Any, path: Pointer, value: Any) -> Any:
    copied = copy.deepcopy(document)
    node = copied
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copied


def _of_another_type(value: Any) -> Any:
    return 12345 if isinstance(value, str) or value is None else "not-this-type"


def _verdicts(registry: SchemaRegistry, schema_id: str, document: Any) -> tuple[bool, list[str]]:
    """(compiled verdict, pointers the detailed validator names)."""
    compiled = registry.compiled.is_valid(schema_id, document)
    detailed = problems_of(registry.validator(schema_id), document)
    return compiled, [p.pointer for p in detailed]


@pytest.mark.parametrize(DOCUMENT_FIELDS, DOCUMENTS, ids=DOCUMENT_IDS)
def test_examples_are_valid_for_both(
    registry: SchemaRegistry, name: str, schema_id: str, document: Any
) -> None:
    assert _verdicts(registry, schema_id, document) == (True, [])


@pytest.mark.parametrize(DOCUMENT_FIELDS, DOCUMENTS, ids=DOCUMENT_IDS)
def test_a_field_of_the_wrong_type_is_invalid_for_both_and_named(
    registry: SchemaRegistry, name: str, schema_id: str, document: Any
) -> None:
    leaves = [leaf for leaf in _leaves(document) if not _inside_event_data(schema_id, leaf[0])]
    assert leaves
    for path, value in leaves:
        compiled, pointers = _verdicts(
            registry, schema_id, _replaced(document, path, _of_another_type(value))
        )
        assert not compiled, path
        assert json_pointer(path) in pointers, path


@pytest.mark.parametrize(DOCUMENT_FIELDS, DOCUMENTS, ids=DOCUMENT_IDS)
def test_an_unknown_field_or_a_missing_one_gets_the_same_verdict(
    registry: SchemaRegistry, name: str, schema_id: str, document: Any
) -> None:
    objects = [((), document)] + [
        (path, node)
        for path, node in _containers(document)
        if isinstance(node, dict) and not _inside_event_data(schema_id, path)
    ]
    for path, node in objects:
        extended = _replaced_object(document, path, {**node, "zz_unknown": 1})
        compiled, pointers = _verdicts(registry, schema_id, extended)
        assert compiled is (not pointers), path
        for key in node:
            shrunk = _replaced_object(document, path, {k: x for k, x in node.items() if k != key})
            compiled, pointers = _verdicts(registry, schema_id, shrunk)
            assert compiled is (not pointers), (*path, key)
            if not compiled:
                assert json_pointer((*path, key)) in pointers, (*path, key)
    assert not registry.compiled.is_valid(schema_id, {**document, "zz_unknown": 1})


def _containers(node: Any, path: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in children:
        if isinstance(value, dict | list):
            yield (*path, key), value
            yield from _containers(value, (*path, key))


def _replaced_object(document: Any, path: Pointer, value: dict[str, Any]) -> Any:
    return value if not path else _replaced(document, path, value)


@pytest.mark.parametrize("path", INVALID_EXAMPLES, ids=[p.name for p in INVALID_EXAMPLES])
def test_invalid_examples_are_invalid_for_both(registry: SchemaRegistry, path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))["event"]
    assert registry.envelope_problems(event)
    compiled, pointers = _verdicts(registry, ENVELOPE_SCHEMA_ID, event)
    assert compiled is (not pointers)
    if event.get("type") in registry.event_types() and "data" in event:
        data_schema = registry.schema_id_for(event["type"])
        compiled, pointers = _verdicts(registry, data_schema, event["data"])
        assert compiled is (not pointers)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2025-04-21T07:45:00Z", True),
        ("2025-04-21t07:45:00z", True),
        ("2025-04-21T07:45:00.123456+02:00", True),
        ("2025-04-21T23:59:60Z", False),  # jsonschema_rs alone accepts this leap second
        ("2025-04-21T07:45:00", False),
        ("2025-04-21 07:45:00Z", False),
        ("2025-02-30T07:45:00Z", False),
        ("yesterday", False),
    ],
)
def test_date_times_are_judged_as_python_jsonschema_judges_them(
    registry: SchemaRegistry, value: str, valid: bool
) -> None:
    body = bodies.sighting(observed_at=value)
    assert _verdicts(registry, v.SIGHTING_CREATE, body)[0] is valid
    assert registry.is_valid(v.SIGHTING_CREATE, body) is valid


@pytest.mark.parametrize(
    "value",
    [
        "0b5b4a3e-6c1f-4a59-9a55-3f1d1f0f2b6c",
        "0B5B4A3E-6C1F-4A59-9A55-3F1D1F0F2B6C",
        "0b5b4a3e6c1f4a599a553f1d1f0f2b6c",
        "{0b5b4a3e-6c1f-4a59-9a55-3f1d1f0f2b6c}",
        "urn:uuid:0b5b4a3e-6c1f-4a59-9a55-3f1d1f0f2b6c",
        "0b5b4a3e-6c1f-4a59-9a55",
    ],
)
def test_uuids_get_the_same_verdict_from_both(registry: SchemaRegistry, value: str) -> None:
    event = json.loads((EXAMPLES / "alert.resolved.v1" / "02-selam-withdrawn.json").read_text())
    data = {**event["data"], "alert_id": value}
    compiled, pointers = _verdicts(registry, registry.schema_id_for(event["type"]), data)
    assert compiled is (not pointers)


@pytest.mark.parametrize(
    "value", ["https://example.org/a b", "https://example.org/p", "not a uri", "urn:x:y", "//x"]
)
def test_uris_get_the_same_verdict_from_both(registry: SchemaRegistry, value: str) -> None:
    event = json.loads(VALID_EXAMPLES[0].read_text(encoding="utf-8"))
    event = {**event, "source": value, "dataschema": value}
    compiled, pointers = _verdicts(registry, ENVELOPE_SCHEMA_ID, event)
    assert compiled is (not pointers)


def test_cross_file_refs_resolve_offline(
    registry: SchemaRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*_: object) -> None:
        raise AssertionError("a schema was fetched over the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    fresh = SchemaRegistry.load()  # compiles every schema, each $ref across files included
    body = bodies.alert(child=bodies.child(nationalities=["af"]))  # a rule of defs/person
    assert not fresh.compiled.is_valid(v.ALERT_CREATE, body)
    assert fresh.body_errors(v.ALERT_CREATE, body)[0].pointer == "/child/nationalities/0"
    assert fresh.is_valid(v.ALERT_CREATE, bodies.alert())


def test_a_ref_to_a_schema_not_loaded_is_refused_not_fetched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*_: object) -> None:
        raise AssertionError("a schema was fetched over the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    schema_id = "https://schemas.kinlink.org/http/dangling.v1.json"
    dangling = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "$ref": "https://example.org/elsewhere.json",
    }
    with pytest.raises(ValueError, match="never fetched"):
        CompiledSchemas({schema_id: dangling}, FormatChecker()).validator(schema_id)


@pytest.mark.parametrize("value", [10**30, float("nan"), object()])
def test_values_the_compiled_validator_cannot_take_go_to_the_detailed_one(
    registry: SchemaRegistry, value: object
) -> None:
    body = bodies.sighting(child={"given_names": "Samir", "age_range": {"min": value, "max": 15}})
    assert not registry.compiled.is_valid(v.SIGHTING_CREATE, body)
    errors = registry.body_errors(v.SIGHTING_CREATE, body)
    assert [e.pointer for e in errors] == ["/child/age_range/min"]
