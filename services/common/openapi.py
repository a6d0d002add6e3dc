"""The served OpenAPI document: schemas/openapi.yaml with every referenced schema bundled.

The file refers to JSON Schemas by their `$id` (https://schemas.kinlink.org/...), which no client
can fetch; the bundle copies each one into `components/schemas` and rewrites every `$ref` to a
local pointer, so tools (schemathesis, code generators) need nothing but this one document.
The same document says which query parameters each route takes; `query_guard` refuses others.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from services.common.http_problems import Problem
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


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_PRINTABLE_NAME = re.compile(r"^[\x21-\x7e]{1,40}$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def declared_query_parameters(doc: dict[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    """(METHOD, path template) -> the query parameter names the document declares for it."""

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part]
        return resolve(target)

    declared: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in doc.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [resolve(p) for p in (*shared, *operation.get("parameters", []))]
            names = frozenset(p["name"] for p in parameters if p.get("in") == "query")
            declared[(method.upper(), path)] = names
    return declared


def query_guard(doc: dict[str, Any]) -> Any:
    """A middleware refusing (400) query parameters the document does not declare for the
    route: a misspelt filter (`updated_sinse=`) must not silently return everything."""
    declared = declared_query_parameters(doc)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        info = request.match_info
        resource = info.route.resource if info.http_exception is None else None
        allowed = declared.get((request.method, resource.canonical)) if resource else None
        if allowed is not None:
            unknown = sorted(set(request.query) - allowed)
            if unknown:
                name = unknown[0]
                shown = f" {name}" if _PRINTABLE_NAME.match(name) else ""
                accepted = ", ".join(sorted(allowed)) or "none"
                raise Problem(
                    400, f"Unknown query parameter{shown}; this route accepts: {accepted}."
                )
        return await handler(request)

    return guard
