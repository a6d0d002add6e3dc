"""Load Kinlink's JSON Schemas once and validate CloudEvents and their data against them.

The schema files under ``schemas/`` are the event contract; this module is the one place that
turns them into validators (Draft 2020-12, formats enforced) and into problems a partner can act
on. Two validators per schema, one verdict: the compiled one (services.common.compiled_schemas)
answers valid or not in microseconds; python-jsonschema, the reference, names every failing
field, and runs only when the compiled one says no. Problem messages never repeat the offending
value, because event data is personal data about children; the JSON pointer says where the
problem is.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.common.catalog import SCHEMA_BASE
from services.common.compiled_schemas import CompiledSchemas
from services.common.errors import FieldError, InvalidInput
from services.common.logging import get_logger
from services.common.schema_problems import (
    ValidationProblem,
    may_hold_unstorable_text,
    problem_sort_key,
    problems_of,
    unstorable_text,
)

SCHEMA_BASE_URI = SCHEMA_BASE
ENVELOPE_SCHEMA_ID = SCHEMA_BASE_URI + "cloudevent.v1.json"
SCHEMAS_ROOT: Path = Path(
    os.environ.get("KINLINK_SCHEMAS_DIR") or Path(__file__).resolve().parents[2] / "schemas"
)

_TYPE_RE = re.compile(r"^org\.kinlink\.([a-z_]+)\.([a-z_]+)\.v([0-9]+)$")
_EVENT_FILE_RE = re.compile(r"^([a-z_]+)\.([a-z_]+)\.v([0-9]+)\.json$")
log = get_logger(__name__)



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
        # Compiled for every loaded schema now: a broken $ref fails at start, not on a request.
        self._compiled = CompiledSchemas(self._schemas, self._format_checker)
        for schema_id in self._schemas:
            self._compiled.validator(schema_id)
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
        """The detailed (python-jsonschema) validator, formats enforced, for a loaded schema $id,
        built once. It explains failures; `is_valid` is the fast verdict."""
        compiled = self._validators.get(schema_id)
        if compiled is None:
            compiled = Draft202012Validator(
                self._schemas[schema_id],
                registry=self._registry,
                format_checker=self._format_checker,
            )
            self._validators[schema_id] = compiled
        return compiled

    @property
    def compiled(self) -> CompiledSchemas:
        """The fast path alone (for tests and benchmarks that compare the two validators)."""
        return self._compiled

    def is_valid(self, schema_id: str, instance: object) -> bool:
        """Whether an instance satisfies a loaded schema (the compiled fast path, with the
        detailed validator as the judge when the compiled one says no)."""
        return not self.problems(schema_id, instance)

    def problems(self, schema_id: str, instance: object) -> list[ValidationProblem]:
        """Every problem of ``instance`` against a loaded schema, sorted by pointer."""
        if self._compiled.is_valid(schema_id, instance):
            return []
        problems = problems_of(self.validator(schema_id), instance)
        if not problems:
            # The reference validator decides; a disagreement is worth knowing about (a value
            # the compiled one cannot represent, or a difference between the two libraries).
            log.warning("compiled validator refused what the reference accepts", schema=schema_id)
        return problems

    def body_errors(self, schema_id: str, body: object) -> list[FieldError]:
        """Every failing field of a request body: text PostgreSQL cannot store first, then the
        schema's rules, each by JSON pointer (never with the submitted value)."""
        errors = list(unstorable_text(body, "")) if may_hold_unstorable_text(body) else []
        if not errors:
            errors = [FieldError(p.pointer, p.message) for p in self.problems(schema_id, body)]
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
        return self.problems(self.schema_id_for(ce_type), data)

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
        problems = self.problems(ENVELOPE_SCHEMA_ID, event)
        if not isinstance(event, dict):
            return problems
        ce_type = event.get("type")
        if not isinstance(ce_type, str) or _TYPE_RE.match(ce_type) is None:
            return problems  # the envelope schema has already reported the type
        if ce_type not in self._event_schema_ids:
            known = ", ".join(self.event_types())
            problems.append(ValidationProblem("/type", f"is not a known event type ({known})"))
            return sorted(problems, key=problem_sort_key)
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
        return sorted(problems, key=problem_sort_key)
