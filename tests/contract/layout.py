"""Where the contract's files live and what the contract names, for the contract tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
EXAMPLES = SCHEMAS / "examples"
TOPICS_FILE = REPO / "infra" / "kafka" / "topics.yaml"
ASYNCAPI_FILE = SCHEMAS / "asyncapi.yaml"

CONTRACT_TYPES = [
    "org.kinlink.alert.published.v1",
    "org.kinlink.alert.updated.v1",
    "org.kinlink.alert.resolved.v1",
    "org.kinlink.registration.recorded.v1",
    "org.kinlink.sighting.reported.v1",
    "org.kinlink.match.proposed.v1",
    "org.kinlink.match.withdrawn.v1",
    "org.kinlink.match.reviewed.v1",
    "org.kinlink.alert.review_due.v1",
    "org.kinlink.alert.erased.v1",
    "org.kinlink.registration.erased.v1",
    "org.kinlink.sighting.erased.v1",
]


def schema_files() -> list[Path]:
    """Every JSON Schema file of the contract (not the examples)."""
    return [
        *sorted((SCHEMAS / "defs").glob("*.json")),
        *sorted((SCHEMAS / "events").glob("*.json")),
        SCHEMAS / "cloudevent.v1.json",
    ]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
