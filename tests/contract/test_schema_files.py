"""The schema files themselves: valid 2020-12, addressable by their path, closed, draft-07-safe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.common.schema_registry import SchemaRegistry

from .layout import CONTRACT_TYPES, SCHEMAS, read_json, schema_files

# Keywords JSON Schema draft-07 also understands (AsyncAPI 3.0 tooling reads draft-07), plus
# $defs, which draft-07 tools reach through plain JSON-pointer $refs.
SHARED_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "title", "description", "examples", "default",
    "type", "properties", "patternProperties", "required", "additionalProperties",
    "enum", "const", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "items", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "allOf", "anyOf", "oneOf", "not",
}  # fmt: skip


def subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    """Every schema object in a schema document, following the keywords that hold schemas."""
    if not isinstance(schema, dict):
        return
    yield schema
    for keyword in ("properties", "patternProperties", "$defs"):
        for child in schema.get(keyword, {}).values():
            yield from subschemas(child)
    for keyword in ("items", "additionalProperties", "not"):
        yield from subschemas(schema.get(keyword))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(keyword, []):
            yield from subschemas(child)


def ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(SCHEMAS).as_posix() for p in paths]


@pytest.mark.parametrize("path", schema_files(), ids=ids(schema_files()))
def test_schema_is_valid_2020_12_with_id_mirroring_its_path(path: Path) -> None:
    schema = read_json(path)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://schemas.kinlink.org/" + path.relative_to(SCHEMAS).as_posix()


@pytest.mark.parametrize("path", schema_files(), ids=ids(schema_files()))
def test_schema_uses_only_keywords_draft_07_shares(path: Path) -> None:
    for sub in subschemas(read_json(path)):
        assert set(sub) <= SHARED_KEYWORDS, f"{path.name}: {set(sub) - SHARED_KEYWORDS}"
        assert not isinstance(sub.get("items"), list), "tuple items differ between drafts"


@pytest.mark.parametrize("path", schema_files(), ids=ids(schema_files()))
def test_every_object_is_closed_so_typos_are_caught(path: Path) -> None:
    for sub in subschemas(read_json(path)):
        kinds = sub.get("type", [])
        if "object" in (kinds if isinstance(kinds, list) else [kinds]) and "properties" in sub:
            assert sub.get("additionalProperties") is False, sub.get("description", path.name)


def test_every_ref_resolves_to_a_loaded_schema() -> None:
    documents = {read_json(p)["$id"]: read_json(p) for p in schema_files()}
    resolvable: Registry[Any] = Registry().with_resources(
        (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
        for uri, doc in documents.items()
    )
    refs = [
        (uri, sub["$ref"])
        for uri, doc in documents.items()
        for sub in subschemas(doc)
        if "$ref" in sub
    ]
    assert refs, "the events must share defs by $ref"
    for uri, ref in refs:
        resolvable.resolver(base_uri=uri).lookup(ref)  # raises Unresolvable if dangling


def test_every_contract_type_has_exactly_one_schema(registry: SchemaRegistry) -> None:
    assert sorted(registry.event_types()) == sorted(CONTRACT_TYPES)
    for ce_type in CONTRACT_TYPES:
        schema_id = registry.schema_id_for(ce_type)
        assert registry.schema(schema_id)["$id"] == schema_id


CORE_REQUIRED = {
    "org.kinlink.alert.published.v1": {
        "alert_id", "issuing_authority", "status", "category", "child", "last_seen",
    },
    "org.kinlink.alert.updated.v1": {"alert_id", "at", "changes"},
    "org.kinlink.alert.resolved.v1": {"alert_id", "resolution", "at"},
    "org.kinlink.registration.recorded.v1": {
        "registration_id", "centre", "registered_at", "location", "child", "accompanied",
    },
    "org.kinlink.sighting.reported.v1": {
        "sighting_id", "reporter", "observed_at", "location", "child",
    },
    "org.kinlink.match.proposed.v1": {
        "match_id", "revision", "alert_id", "observation", "score", "explanation",
        "engine_version",
    },
    "org.kinlink.match.withdrawn.v1": {
        "match_id", "revision", "alert_id", "observation", "reason", "engine_version",
    },
    "org.kinlink.match.reviewed.v1": {
        "match_id", "alert_id", "observation", "decision", "reviewer", "at",
    },
    "org.kinlink.alert.review_due.v1": {
        "alert_id", "issuing_authority", "category", "review_due_at",
    },
    "org.kinlink.alert.erased.v1": {"alert_id", "erased_at", "reason"},
    "org.kinlink.registration.erased.v1": {"registration_id", "erased_at", "reason"},
    "org.kinlink.sighting.erased.v1": {"sighting_id", "erased_at", "reason"},
}  # fmt: skip


@pytest.mark.parametrize("ce_type", CONTRACT_TYPES)
def test_core_fields_of_the_contract_are_required(registry: SchemaRegistry, ce_type: str) -> None:
    assert (
        set(registry.schema(registry.schema_id_for(ce_type))["required"]) == CORE_REQUIRED[ce_type]
    )


def test_person_core_fields_are_required_in_alerts_and_registrations(
    registry: SchemaRegistry,
) -> None:
    person = registry.schema("https://schemas.kinlink.org/defs/person.v1.json")
    assert set(person["$defs"]["complete"]["required"]) == {
        "given_names", "family_name", "other_names", "sex", "date_of_birth",
        "date_of_birth_kind", "age_range", "nationalities", "languages",
    }  # fmt: skip
    optional = {"names_original_script", "father_name", "mother_name"}
    assert optional <= set(person["properties"])
