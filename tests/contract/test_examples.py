"""Example events: every valid one validates, every invalid one fails exactly where it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.common.schema_registry import SchemaRegistry

from .layout import CONTRACT_TYPES, EXAMPLES, read_json

VALID = sorted(p for p in EXAMPLES.glob("*/*.json") if p.parent.name != "invalid")
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))
ENTITY_ID = {
    "alert": "alert_id",
    "registration": "registration_id",
    "sighting": "sighting_id",
    "match": "match_id",
}


def at_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer, or None when the location does not exist."""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and token in document:
            document = document[token]
        elif isinstance(document, list) and token.isdigit() and int(token) < len(document):
            document = document[int(token)]
        else:
            return None
    return document


@pytest.mark.parametrize("ce_type", CONTRACT_TYPES)
def test_every_type_has_at_least_two_examples(ce_type: str) -> None:
    folder = EXAMPLES / ce_type.removeprefix("org.kinlink.")
    assert len(list(folder.glob("[0-9][0-9]-*.json"))) >= 2


@pytest.mark.parametrize("path", VALID, ids=[f"{p.parent.name}/{p.name}" for p in VALID])
def test_example_is_a_valid_event_of_its_folder_type(registry: SchemaRegistry, path: Path) -> None:
    event = read_json(path)
    assert registry.envelope_problems(event) == []
    assert event["type"] == "org.kinlink." + path.parent.name
    assert event["dataschema"] == registry.schema_id_for(event["type"])
    entity = event["type"].split(".")[2]
    assert event["subject"] == event["data"][ENTITY_ID[entity]], "subject is the entity id"


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_invalid_example_fails_exactly_at_the_expected_pointers(
    registry: SchemaRegistry, path: Path
) -> None:
    case = read_json(path)
    problems = registry.envelope_problems(case["event"])
    assert sorted({p.pointer for p in problems}) == sorted(case["errors"])
    assert problems == sorted(problems, key=lambda p: (p.pointer, p.message))


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_problem_messages_never_repeat_the_invalid_value(
    registry: SchemaRegistry, path: Path
) -> None:
    event = read_json(path)["event"]
    for problem in registry.envelope_problems(event):
        value = at_pointer(event, problem.pointer)
        assert problem.message
        if isinstance(value, str) and len(value) >= 2:
            assert value not in problem.message, problem
