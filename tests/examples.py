"""The example events kept beside the schemas, as test inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "schemas" / "examples"


def examples_of(ce_type: str) -> list[dict[str, Any]]:
    """Structured-mode example events of one type, in file-name order."""
    folder = EXAMPLES / ce_type.removeprefix("org.kinlink.")
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def example_data(ce_type: str) -> dict[str, Any]:
    data: dict[str, Any] = examples_of(ce_type)[0]["data"]
    return data
