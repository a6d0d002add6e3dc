"""Request-body checks: the JSON Schema of each door, then the rules a schema cannot say.

Semantic rules: reported times and birth dates not in the future (beyond a small clock-skew
tolerance), `age_range.min <= max`, coordinates finite and in range. Every failure names its
field by JSON pointer; values are never echoed back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.catalog import SCHEMA_BASE
from services.common.errors import FieldError, InvalidInput
from services.common.schema_registry import SchemaRegistry

HTTP_SCHEMA_BASE = SCHEMA_BASE + "http/"
ALERT_CREATE = HTTP_SCHEMA_BASE + "alert.create.v1.json"
ALERT_UPDATE = HTTP_SCHEMA_BASE + "alert.update.v1.json"
ALERT_RESOLVE = HTTP_SCHEMA_BASE + "alert.resolve.v1.json"
REGISTRATION_CREATE = HTTP_SCHEMA_BASE + "registration.create.v1.json"
SIGHTING_CREATE = HTTP_SCHEMA_BASE + "sighting.create.v1.json"
ALL_BODY_SCHEMAS = (ALERT_CREATE, ALERT_UPDATE, ALERT_RESOLVE, REGISTRATION_CREATE, SIGHTING_CREATE)

# Where each body carries times that describe the past, and people and places.
_PAST_TIMES = ("/last_seen/at", "/registered_at", "/observed_at", "/age_assessment/at")
_PEOPLE = ("/child",)
_LOCATIONS = ("/last_seen/location", "/location", "/found_location")


def check_body(
    registry: SchemaRegistry, schema_id: str, body: Any, now: datetime, skew: timedelta
) -> None:
    """Raise InvalidInput listing every failing field, or return if the body is acceptable."""
    errors = registry.body_errors(schema_id, body)
    if not errors:
        errors = list(semantic_errors(body, now, skew))
    if errors:
        count = len(errors)
        raise InvalidInput(
            f"The request body has {count} invalid field{'s' if count > 1 else ''}.", errors
        )


def semantic_errors(body: Any, now: datetime, skew: timedelta) -> Iterator[FieldError]:
    """Rules beyond the schema, for a body that already satisfies its schema."""
    latest = now + skew
    for pointer in _PAST_TIMES:
        value = _at(body, pointer)
        if isinstance(value, str):
            moment = _parse_time(value)
            if moment is not None and moment > latest:
                yield FieldError(pointer, "must not be in the future")
    for pointer in _PEOPLE:
        person = _at(body, pointer)
        if isinstance(person, dict):
            yield from _person_errors(pointer, person, latest)
    for pointer in _LOCATIONS:
        location = _at(body, pointer)
        if isinstance(location, dict):
            yield from _location_errors(pointer, location)


def _person_errors(pointer: str, person: dict[str, Any], latest: datetime) -> Iterator[FieldError]:
    age = person.get("age_range")
    if (
        isinstance(age, dict)
        and isinstance(age.get("min"), int)
        and isinstance(age.get("max"), int)
    ) and age["min"] > age["max"]:
        yield FieldError(f"{pointer}/age_range/min", "must not be greater than max")
    born = person.get("date_of_birth")
    if isinstance(born, str) and born[:10] > latest.date().isoformat()[: len(born)]:
        yield FieldError(f"{pointer}/date_of_birth", "must not be in the future")


def _location_errors(pointer: str, location: dict[str, Any]) -> Iterator[FieldError]:
    for name, bound in (("lat", 90.0), ("lon", 180.0)):
        value = location.get(name)
        if isinstance(value, int | float) and not (
            math.isfinite(value) and -bound <= value <= bound
        ):
            yield FieldError(f"{pointer}/{name}", f"must be between -{bound:g} and {bound:g}")


def _at(body: Any, pointer: str) -> Any:
    node = body
    for part in pointer.strip("/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    try:
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # beyond year 9999 (future) or before year 1 (past) in UTC
        return datetime.max.replace(tzinfo=UTC) if parsed.year > 1 else None
