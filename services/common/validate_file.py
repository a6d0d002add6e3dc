"""Check a JSONL file of structured-mode CloudEvents against the schemas, line by line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from services.common.schema_problems import ValidationProblem
from services.common.schema_registry import SchemaRegistry


@dataclass(frozen=True)
class LineReport:
    line: int
    event_id: str | None
    event_type: str | None
    problems: list[ValidationProblem]


def check_lines(path: Path, registry: SchemaRegistry) -> Iterator[LineReport]:
    """One report per non-blank line; `problems` empty when the line is a valid event."""
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield LineReport(
                    number,
                    None,
                    None,
                    [ValidationProblem("", f"not valid JSON ({exc.msg} at column {exc.colno})")],
                )
                continue
            event_id = obj.get("id") if isinstance(obj, dict) else None
            event_type = obj.get("type") if isinstance(obj, dict) else None
            yield LineReport(
                number,
                event_id if isinstance(event_id, str) else None,
                event_type if isinstance(event_type, str) else None,
                registry.envelope_problems(obj),
            )
