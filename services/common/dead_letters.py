"""Dead letters: the original record byte for byte, plus why and where it came from, in headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.common.envelope import Headers

REASON_MAX = 2000


@dataclass(frozen=True)
class DeadLetter:
    """What is published to the DLQ for one rejected record."""

    key: bytes | None
    value: bytes | None
    headers: Headers


def dead_letter(record: Any, *, reason: str, error_class: str, consumer: str) -> DeadLetter:
    """Wrap a consumed aiokafka record; `reason` must not contain personal data."""
    extra: Headers = [
        ("dlq_reason", reason[:REASON_MAX].encode()),
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
    return DeadLetter(key=record.key, value=record.value, headers=[*original, *extra])


def header(headers: Headers | tuple[tuple[str, bytes], ...], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode()
    return None
