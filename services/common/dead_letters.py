"""Dead letters: the original record byte for byte, plus why and where it came from, in headers.

A dead letter must fit in one produce request (1 MiB: aiokafka's `max_request_size`, Kafka's
default `max.message.bytes`) whatever it wraps, or the consumer could not set the record aside
and would stop. A record near that size loses its value first, then its original headers, then
its key; a `dlq_*_omitted` header says what was left out and how big it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.common.envelope import Headers

REASON_MAX = 2000
LETTER_MAX_BYTES = 900_000  # below the 1 MiB request limit, with room for the batch framing


@dataclass(frozen=True)
class DeadLetter:
    """What is published to the DLQ for one rejected record."""

    key: bytes | None
    value: bytes | None
    headers: Headers


def dead_letter(record: Any, *, reason: str, error_class: str, consumer: str) -> DeadLetter:
    """Wrap a consumed aiokafka record; `reason` must not contain personal data."""
    extra: Headers = [
        ("dlq_reason", reason[:REASON_MAX].encode(errors="replace")),
        ("dlq_error_class", error_class.encode()),
        ("dlq_original_topic", record.topic.encode()),
        ("dlq_original_partition", str(record.partition).encode()),
        ("dlq_original_offset", str(record.offset).encode()),
        ("dlq_consumer", consumer.encode()),
        ("dlq_failed_at", datetime.now(UTC).isoformat().replace("+00:00", "Z").encode()),
    ]
    original = [
        (name, value) for name, value in (record.headers or ()) if not name.startswith("dlq_")
    ]
    return _fitted(record.key, record.value, original, extra)


def _fitted(
    key: bytes | None, value: bytes | None, original: Headers, extra: Headers
) -> DeadLetter:
    def size(*parts: bytes | None) -> int:
        return sum(len(part or b"") for part in parts)

    def headers_size(headers: Headers) -> int:
        return sum(len(name.encode()) + size(data) for name, data in headers)

    if size(key, value) + headers_size([*original, *extra]) > LETTER_MAX_BYTES:
        extra.append(("dlq_value_omitted", f"{size(value)} bytes".encode()))
        value = None
    if size(key) + headers_size([*original, *extra]) > LETTER_MAX_BYTES:
        count, total = len(original), headers_size(original)
        extra.append(("dlq_headers_omitted", f"{count} headers, {total} bytes".encode()))
        original = []
    if size(key) + headers_size(extra) > LETTER_MAX_BYTES:
        extra.append(("dlq_key_omitted", f"{size(key)} bytes".encode()))
        key = None
    return DeadLetter(key=key, value=value, headers=[*original, *extra])


def header(headers: Headers | tuple[tuple[str, bytes], ...], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode()
    return None
