"""JSON out, fast: response bodies, stored records, outbox events and Kafka values.

`dumps` writes what `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` writes, as
UTF-8 bytes, with orjson: the same objects, arrays, strings and numbers (a float may be spelt
differently, `1e+30` as `1e30`, never with another value). What orjson would write differently
is handed to the standard library instead, so it behaves as before: integers beyond 64 bits,
subclasses of str, int, dict and list (enums among them), and what the standard library refuses
(datetimes, dataclasses, strings with lone surrogates) is refused, with TypeError or ValueError.
Two differences: a non-finite float becomes `null`, never the token `NaN`, which is not JSON
(no input can carry one: request bodies refuse them and jsonb cannot store them); and a member
of a plain Enum is written as its value where the standard library raised TypeError.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of `value`."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # The standard library's answer: text for big integers and str/int subclasses, the
        # same TypeError/ValueError as before for what JSON cannot hold.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dumps_text(value: Any) -> str:
    """Compact JSON of `value` as text (for drivers that take text, such as asyncpg's codecs)."""
    return dumps(value).decode()
