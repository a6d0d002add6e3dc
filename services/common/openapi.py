"""The served OpenAPI document: schemas/openapi.yaml with every referenced schema bundled.

The file refers to JSON Schemas by their `$id` (https://schemas.kinlink.org/...), which no client
can fetch; the bundle copies each one into `components/schemas` and rewrites every `$ref` to a
local pointer, so tools (schemathesis, code generators) need nothing but this one document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.common.schema_registry import SCHEMA_BASE_URI, SchemaRegistry

COMPONENTS = "#/components/schemas/"


def component_name(schema_id: str) -> str:
    """`https://schemas.kinlink.org/defs/person.v1.json` -> `defs.person.v1`."""
    return schema_id.removeprefix(SCHEMA_BASE_URI).removesuffix(".json").replace("/", ".")


def load_bundled(path: Path, registry: SchemaRegistry) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return bundle(doc, registry)


def bundle(doc: dict[str, Any], registry: SchemaRegistry) -> dict[str, Any]:
    included: dict[str, Any] = {}

    def include(schema_id: str) -> str:
        name = component_name(schema_id)
        if name not in included:
            included[name] = {}  # placeholder first: schemas refer to themselves
            schema = registry.schema(schema_id)
            schema.pop("$id", None)
            schema.pop("$schema", None)
            included[name] = rewrite(schema, schema_id)
        return name

    def rewrite_ref(ref: str, base: str | None) -> str:
        if ref.startswith("#"):
            if base is None:
                return ref  # a pointer into the OpenAPI document itself
            return COMPONENTS + include(base) + ref[1:]
        if ref.startswith(SCHEMA_BASE_URI):
            schema_id, _, fragment = ref.partition("#")
            return COMPONENTS + include(schema_id) + fragment
        return ref

    def rewrite(node: Any, base: str | None) -> Any:
        if isinstance(node, dict):
            return {
                key: rewrite_ref(value, base)
                if key == "$ref" and isinstance(value, str)
                else rewrite(value, base)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item, base) for item in node]
        return node

    bundled: dict[str, Any] = rewrite(doc, None)
    bundled.setdefault("components", {}).setdefault("schemas", {}).update(included)
    return bundled
