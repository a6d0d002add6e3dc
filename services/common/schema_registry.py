"""Load Kinlink's JSON Schemas once and validate CloudEvents and their data against them.

The schema files under ``schemas/`` are the event contract; this module is the one place that
turns them into compiled validators (Draft 2020-12, formats enforced) and into problems a
partner can act on. Problem messages never repeat the offending value, because event data is
personal data about children; the JSON pointer says where the problem is.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.common.catalog import SCHEMA_BASE
from services.common.errors import FieldError, InvalidInput

SCHEMA_BASE_URI = SCHEMA_BASE
ENVELOPE_SCHEMA_ID = SCHEMA_BASE_URI + "cloudevent.v1.json"
SCHEMAS_ROOT: Path = Path(
    os.environ.get("KINLINK_SCHEMAS_DIR") or Path(__file__).resolve().parents[2] / "schemas"
)

_TYPE_RE = re.compile(r"^org\.kinlink\.([a-z_]+)\.([a-z_]+)\.v([0-9]+)$")
_EVENT_FILE_RE = re.compile(r"^([a-z_]+)\.([a-z_]+)\.v([0-9]+)\.json$")

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


class EventValidationError(ValueError):
    """Raised when event data does not satisfy its schema; carries every problem found."""

    def __init__(self, ce_type: str, problems: list[ValidationProblem]) -> None:
        self.ce_type = ce_type
        self.problems = problems
        listed = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in problems)
        super().__init__(f"invalid {ce_type} data: {listed}")


class UnknownEventType(KeyError):
    """The CloudEvents type has no schema in the registry."""


def type_to_schema_path(ce_type: str) -> str:
    """Map ``org.kinlink.alert.published.v1`` to ``events/alert.published.v1.json``."""
    found = _TYPE_RE.match(ce_type)
    if found is None:
        raise ValueError("not a Kinlink event type (org.kinlink.<entity>.<fact>.v<N>)")
    entity, fact, version = found.groups()
    return f"events/{entity}.{fact}.v{version}.json"


def json_pointer(path: Iterable[str | int]) -> str:
    """Render a path as an RFC 6901 JSON pointer."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


class SchemaRegistry:
    """Every Kinlink schema, loaded once, with a compiled validator per event type."""

    def __init__(
        self, schemas: Mapping[str, dict[str, Any]], event_schema_ids: Mapping[str, str]
    ) -> None:
        self._schemas = dict(schemas)
        self._event_schema_ids = dict(sorted(event_schema_ids.items()))
        self._registry: Registry[Any] = Registry().with_resources(
            (schema_id, Resource.from_contents(schema, default_specification=DRAFT202012))
            for schema_id, schema in self._schemas.items()
        )
        self._format_checker = FormatChecker()
        self._validators: dict[str, Validator] = {}
        for schema_id in [*self._event_schema_ids.values(), ENVELOPE_SCHEMA_ID]:
            self.validator(schema_id)

    @classmethod
    def load(cls, root: Path | None = None) -> SchemaRegistry:
        """Read defs/, events/, cloudevent.v1.json and http/ under ``root`` (default SCHEMAS_ROOT).

        Raises ``jsonschema.SchemaError`` for a schema that is not valid 2020-12, and
        ``ValueError`` for a file whose ``$id`` does not mirror its path.
        """
        base = root if root is not None else SCHEMAS_ROOT
        files = [
            *sorted((base / "defs").glob("*.json")),
            *sorted((base / "events").glob("*.json")),
            base / "cloudevent.v1.json",
            # HTTP request bodies (intake, notifier) reuse the event defs by $ref.
            *sorted((base / "http").glob("*.json")),
        ]
        schemas: dict[str, dict[str, Any]] = {}
        event_ids: dict[str, str] = {}
        for path in files:
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            expected_id = SCHEMA_BASE_URI + path.relative_to(base).as_posix()
            if schema.get("$id") != expected_id:
                raise ValueError(f"{path}: $id must be {expected_id}")
            schemas[expected_id] = schema
            file_match = _EVENT_FILE_RE.match(path.name)
            if path.parent.name == "events" and file_match is not None:
                entity, fact, version = file_match.groups()
                event_ids[f"org.kinlink.{entity}.{fact}.v{version}"] = expected_id
        return cls(schemas, event_ids)

    def event_types(self) -> list[str]:
        """The CloudEvents types that have a data schema, sorted."""
        return list(self._event_schema_ids)

    def schema_id_for(self, ce_type: str) -> str:
        """The data schema $id for a type; raises UnknownEventType if there is none."""
        try:
            return self._event_schema_ids[ce_type]
        except KeyError:
            raise UnknownEventType(ce_type) from None

    def schema(self, schema_id: str) -> dict[str, Any]:
        """A copy of a loaded schema, by its $id."""
        return copy.deepcopy(self._schemas[schema_id])

    def validator(self, schema_id: str) -> Validator:
        """The compiled validator (formats enforced) for a loaded schema $id, built once."""
        compiled = self._validators.get(schema_id)
        if compiled is None:
            compiled = Draft202012Validator(
                self._schemas[schema_id],
                registry=self._registry,
                format_checker=self._format_checker,
            )
            self._validators[schema_id] = compiled
        return compiled

    def body_errors(self, schema_id: str, body: object) -> list[FieldError]:
        """Every failing field of a request body: text PostgreSQL cannot store first, then the
        schema's rules, each by JSON pointer (never with the submitted value)."""
        errors = list(unstorable_text(body, ""))
        if not errors:
            problems = problems_of(self.validator(schema_id), body)
            errors = [FieldError(p.pointer, p.message) for p in problems]
        return errors

    def require_valid(self, schema_id: str, body: object) -> None:
        """Raise InvalidInput naming every failing field of a request body by JSON pointer."""
        errors = self.body_errors(schema_id, body)
        if errors:
            count = len(errors)
            raise InvalidInput(
                f"The request body has {count} invalid field{'s' if count > 1 else ''}.", errors
            )

    def data_problems(self, ce_type: str, data: object) -> list[ValidationProblem]:
        """Every problem of ``data`` against the schema of ``ce_type``, sorted by pointer."""
        return problems_of(self.validator(self.schema_id_for(ce_type)), data)

    def check_data(self, ce_type: str, data: object) -> None:
        """Raise EventValidationError if ``data`` does not satisfy the schema of ``ce_type``."""
        problems = self.data_problems(ce_type, data)
        if problems:
            raise EventValidationError(ce_type, problems)

    def envelope_problems(self, event: object) -> list[ValidationProblem]:
        """Every problem of a structured-mode CloudEvent: attributes, then data by its type.

        Data problems are prefixed with ``/data``; an unknown type is reported at ``/type``
        and a ``dataschema`` that is not the type's schema $id at ``/dataschema``.
        """
        problems = problems_of(self.validator(ENVELOPE_SCHEMA_ID), event)
        if not isinstance(event, dict):
            return problems
        ce_type = event.get("type")
        if not isinstance(ce_type, str) or _TYPE_RE.match(ce_type) is None:
            return problems  # the envelope schema has already reported the type
        if ce_type not in self._event_schema_ids:
            known = ", ".join(self.event_types())
            problems.append(ValidationProblem("/type", f"is not a known event type ({known})"))
            return sorted(problems, key=_sort_key)
        schema_id = self._event_schema_ids[ce_type]
        dataschema = event.get("dataschema")
        if isinstance(dataschema, str) and dataschema != schema_id:
            problems.append(
                ValidationProblem("/dataschema", f"must be {schema_id} for type {ce_type}")
            )
        if "data" not in event:
            problems.append(ValidationProblem("/data", "is required"))
        elif isinstance(event["data"], dict):
            problems.extend(
                ValidationProblem("/data" + p.pointer, p.message)
                for p in self.data_problems(ce_type, event["data"])
            )
        return sorted(problems, key=_sort_key)


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
    return sorted(found.values(), key=_sort_key)


def _is_enum_at(problem: ValidationProblem, pointer: str) -> bool:
    return problem.pointer == pointer and problem.message.startswith("must be one of: ")


def _sort_key(problem: ValidationProblem) -> tuple[str, str]:
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
