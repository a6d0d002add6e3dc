"""What a consumer does with one Kafka record, decided without I/O.

A record is either applied (a CloudEvent of a known type whose data satisfies its schema) or
dead-lettered with a reason and an error class: `oversized` (a value or headers far beyond any
event of ours, which intake's body limit bounds), `decode` (not a CloudEvent we can read: no
value, a header that is not UTF-8, a value that is not strict JSON, missing attributes),
`unknown_type`, or `schema`. Nothing a record holds may raise out of here: the consumer runner
relies on it to carry on after any garbage. Reasons name the rule broken, never the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.common.envelope import CloudEvent, EnvelopeError, from_kafka
from services.common.schema_registry import SchemaRegistry


@dataclass(frozen=True)
class Apply:
    event: CloudEvent


@dataclass(frozen=True)
class Refuse:
    reason: str
    error_class: str


Verdict = Apply | Refuse
# Far above the largest event intake can produce (its body limit is 256 KiB by default).
MAX_VALUE_BYTES = 512 * 1024
MAX_HEADER_BYTES = 64 * 1024


def triage(
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    registry: SchemaRegistry,
) -> Verdict:
    size = len(value or b"")
    if size > MAX_VALUE_BYTES:
        return Refuse(
            f"oversized: a value of {size} bytes (at most {MAX_VALUE_BYTES})", "oversized"
        )
    header_bytes = sum(len(name) + len(data or b"") for name, data in headers or ())
    if header_bytes > MAX_HEADER_BYTES:
        return Refuse(
            f"oversized: headers of {header_bytes} bytes (at most {MAX_HEADER_BYTES})", "oversized"
        )
    try:
        event = from_kafka(key, value, headers or ())
    except EnvelopeError as exc:
        return Refuse(f"undecodable: {exc}", "decode")
    try:
        registry.check_data(event.type, event.data)
    except KeyError:
        return Refuse(f"unknown event type {event.type[:200]}", "unknown_type")
    except ValueError as exc:
        problems = getattr(exc, "problems", [])
        reason = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in problems) or str(exc)
        return Refuse(f"schema: {reason}", "schema")
    return Apply(event)
