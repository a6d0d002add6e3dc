"""The fast path of schema validation: compiled validators (jsonschema_rs, Draft 2020-12) that
only say whether an instance is valid, in microseconds.

Every cross-file `$ref` resolves from the schemas already loaded from `schemas/`; anything else
is refused, never fetched (no network, at start-up or later). Formats are checked by the very
functions python-jsonschema's `FormatChecker` uses (`jsonschema[format-nongpl]`), so a
date-time, URI or UUID is accepted exactly when the detailed validator accepts it. The reasons
for a failure come from python-jsonschema (services.common.schema_problems), which runs only
when this fast path says no: valid documents, the common case, never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import jsonschema_rs
from jsonschema import FormatChecker

FormatFunction = Callable[[str], bool]


class OfflineReference(LookupError):
    """A `$ref` names a schema that is not among the loaded files."""


def refuse_retrieval(uri: str) -> NoReturn:
    """The retriever of the compiled validators: never fetch, only the loaded schemas exist."""
    raise OfflineReference(f"{uri} is not a loaded schema (schemas are never fetched)")


def format_functions(checker: FormatChecker) -> dict[str, FormatFunction]:
    """python-jsonschema's format checks, as jsonschema_rs format callbacks."""

    def wrap(func: Callable[[object], object], raises: Any) -> FormatFunction:
        def check(value: str) -> bool:
            try:
                return bool(func(value))
            except raises:  # the check's own way of saying "not this format"
                return False

        return check

    return {name: wrap(func, raises) for name, (func, raises) in checker.checkers.items()}


class CompiledSchemas:
    """A compiled validator per schema `$id`, built on first use over one shared registry."""

    def __init__(self, schemas: Mapping[str, dict[str, Any]], checker: FormatChecker) -> None:
        self._schemas = schemas
        self._formats = format_functions(checker)
        self._registry = jsonschema_rs.Registry(
            list(schemas.items()), draft=jsonschema_rs.Draft202012, retriever=refuse_retrieval
        )
        self._validators: dict[str, jsonschema_rs.Validator] = {}

    def validator(self, schema_id: str) -> jsonschema_rs.Validator:
        """The compiled validator of a loaded schema; raises if one of its `$ref`s is unknown."""
        compiled = self._validators.get(schema_id)
        if compiled is None:
            compiled = jsonschema_rs.Draft202012Validator(
                self._schemas[schema_id],
                formats=self._formats,
                validate_formats=True,
                ignore_unknown_formats=True,
                registry=self._registry,
                retriever=refuse_retrieval,
                base_uri=schema_id,
            )
            self._validators[schema_id] = compiled
        return compiled

    def is_valid(self, schema_id: str, instance: object) -> bool:
        """True only if the instance certainly satisfies the schema.

        False also for what the compiled validator cannot take (a value JSON has no form
        for, an integer beyond its range): the detailed validator then decides.
        """
        compiled = self.validator(schema_id)
        try:
            return bool(compiled.is_valid(instance))
        except (ValueError, TypeError, OverflowError):
            return False
