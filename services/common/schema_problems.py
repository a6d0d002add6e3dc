"""Turn JSON Schema validation errors into problems a partner can act on: a JSON pointer and a
sentence per failing field, never the offending value (event data is personal data about
children). Also the check every request body gets first: text PostgreSQL could not store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

from services.common.errors import FieldError

# Patterns are matched by their exact text so each failure gets a sentence instead of a regex.
_PATTERN_MESSAGES = {
    "^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$": (
        "is not a valid partial date (YYYY, YYYY-MM or YYYY-MM-DD)"
    ),
    "^[A-Z]{3}$": "is not an ISO 3166-1 alpha-3 country code (three capital letters, e.g. AFG)",
    "^[a-z]{3}$": "is not an ISO 639-3 language code (three lowercase letters, e.g. pus)",
    "^[A-Z][a-z]{3}$": "is not an ISO 15924 script code (e.g. Arab, Ethi)",
    r"^org\.kinlink\.[a-z_]+\.[a-z_]+\.v[0-9]+$": (
        "is not a Kinlink event type (org.kinlink.<entity>.<fact>.v<N>)"
    ),
    r"^application/json(\s*;.*)?$": "must be application/json",
}
_FORMAT_MESSAGES = {
    "uuid": "is not a valid UUID",
    "date-time": "is not a valid RFC 3339 date-time with offset (e.g. 2025-03-01T14:30:00Z)",
    "uri": "is not a valid absolute URI",
    "uri-reference": "is not a valid URI reference",
}
_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "null",
}


@dataclass(frozen=True)
class ValidationProblem:
    """One reason an instance is invalid.

    ``pointer`` is the JSON pointer of the failing location ("" for the root); for a missing
    required member it points where the member should be.
    """

    pointer: str
    message: str


def json_pointer(path: Iterable[str | int]) -> str:
    """Render a path as an RFC 6901 JSON pointer."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def problems_of(validator: Validator, instance: object) -> list[ValidationProblem]:
    """All problems a validator finds in ``instance``, deduplicated and sorted by pointer."""
    found: dict[tuple[str, str], ValidationProblem] = {}
    tightest_enum: dict[str, int] = {}
    for error in validator.iter_errors(instance):
        for problem, enum_size in _describe(error):
            if enum_size is not None:
                # A field restricted by two enums (base and role) fails both; keep the tighter.
                previous = tightest_enum.get(problem.pointer)
                if previous is not None and previous <= enum_size:
                    continue
                tightest_enum[problem.pointer] = enum_size
                found = {k: v for k, v in found.items() if not _is_enum_at(v, problem.pointer)}
            found[(problem.pointer, problem.message)] = problem
    return sorted(found.values(), key=problem_sort_key)


def _is_enum_at(problem: ValidationProblem, pointer: str) -> bool:
    return problem.pointer == pointer and problem.message.startswith("must be one of: ")


def problem_sort_key(problem: ValidationProblem) -> tuple[str, str]:
    return (problem.pointer, problem.message)


def _describe(error: ValidationError) -> list[tuple[ValidationProblem, int | None]]:
    """Turn one jsonschema error into problems (with the enum size, for deduplication)."""
    pointer = json_pointer(error.absolute_path)
    keyword = str(error.validator)
    value: Any = error.validator_value
    instance: Any = error.instance
    if keyword == "required" and isinstance(instance, dict):
        return [
            (ValidationProblem(json_pointer([*error.absolute_path, name]), "is required"), None)
            for name in value
            if name not in instance
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        return [
            (ValidationProblem(json_pointer([*error.absolute_path, name]), message), None)
            for name, message in _unexpected_members(error.schema, instance)
        ]
    if keyword in ("anyOf", "oneOf") and error.context:
        return _describe_alternatives(error)
    if keyword == "enum":
        allowed = ", ".join(json.dumps(v, ensure_ascii=False) for v in value)
        return [(ValidationProblem(pointer, f"must be one of: {allowed}"), len(value))]
    return [(ValidationProblem(pointer, _message(keyword, value)), None)]


def _describe_alternatives(error: ValidationError) -> list[tuple[ValidationProblem, int | None]]:
    """Explain an anyOf/oneOf failure by the alternative whose type the instance has."""
    branches: dict[object, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    here = list(error.absolute_path)

    def wrong_type(sub: ValidationError) -> bool:
        return sub.validator == "type" and list(sub.absolute_path) == here

    fitting = [subs for subs in branches.values() if not any(wrong_type(s) for s in subs)]
    if len(fitting) == 1:
        return [described for sub in fitting[0] for described in _describe(sub)]
    if not fitting:
        kinds: list[Any] = []
        for subs in branches.values():
            for sub in subs:
                listed = (
                    sub.validator_value
                    if isinstance(sub.validator_value, list)
                    else [sub.validator_value]
                )
                kinds.extend(k for k in listed if k not in kinds)
        return [(ValidationProblem(json_pointer(here), _message("type", kinds)), None)]
    return _describe(best_match(error.context or []))


def _unexpected_members(schema: Any, instance: dict[str, Any]) -> list[tuple[str, str]]:
    declared = schema.get("properties", {}) if isinstance(schema, dict) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, dict) else {}
    message = (
        "is not an allowed attribute (extension names are 1 to 20 lowercase letters or digits)"
        if patterns
        else "is not an allowed field"
    )
    return [
        (name, message)
        for name in instance
        if name not in declared and not any(re.search(p, name) for p in patterns)
    ]


def _message(keyword: str, value: Any) -> str:
    """A sentence for a failed keyword, built from the schema's rule, never the instance."""
    if keyword == "type":
        kinds = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(_TYPE_NAMES.get(str(k), str(k)) for k in kinds)
    if keyword == "const":
        return f"must be {json.dumps(value, ensure_ascii=False)}"
    if keyword == "pattern":
        return _PATTERN_MESSAGES.get(str(value), f"does not match the pattern {value}")
    if keyword == "format":
        return _FORMAT_MESSAGES.get(str(value), f"is not a valid {value}")
    bounds = {
        "minimum": "must be at least",
        "maximum": "must be at most",
        "exclusiveMinimum": "must be greater than",
        "exclusiveMaximum": "must be less than",
    }
    if keyword in bounds:
        return f"{bounds[keyword]} {value}"
    if keyword in ("minLength", "minItems", "minProperties") and value == 1:
        return "must not be empty"
    sized = {
        "minLength": "must be at least {} characters long",
        "maxLength": "must be at most {} characters long",
        "minItems": "must have at least {} items",
        "maxItems": "must have at most {} items",
        "minProperties": "must have at least {} fields",
        "maxProperties": "must have at most {} fields",
    }
    if keyword in sized:
        return sized[keyword].format(value)
    if keyword == "uniqueItems":
        return "must not contain duplicates"
    if keyword in ("anyOf", "oneOf"):
        return "matches more than one allowed shape" if keyword == "oneOf" else "is not allowed"
    if keyword == "false":
        return "is not allowed"
    return f"fails the {keyword!r} rule"


def may_hold_unstorable_text(node: Any) -> bool:
    """A fast pre-check for `unstorable_text`: False means there is certainly none.

    orjson refuses lone surrogates (in keys too) and writes NUL as the escape \\u0000, so one
    C-speed serialisation clears the common case; anything else it refuses (an integer beyond
    64 bits) is left to the full walk.
    """
    try:
        written = orjson.dumps(node)
    except orjson.JSONEncodeError:
        return True
    return b"\\u0000" in written


def unstorable_text(node: Any, pointer: str) -> Iterator[FieldError]:
    """Strings PostgreSQL cannot store (NUL characters, lone surrogates), keys included."""

    def bad(text: str) -> bool:
        if "\x00" in text:
            return True
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False

    if isinstance(node, str) and bad(node):
        yield FieldError(pointer, "must not contain NUL characters or unpaired surrogates")
    elif isinstance(node, dict):
        for key, value in node.items():
            child = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
            if bad(key):
                yield FieldError(pointer, "has a field name that cannot be stored")
            else:
                yield from unstorable_text(value, child)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from unstorable_text(item, f"{pointer}/{index}")
