"""Reading and writing scenarios as JSON Lines (the only I/O of the scenario package)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .model import Scenario, TruthRecord

EVENTS_FILE = "events.jsonl"
TRUTH_FILE = "truth.jsonl"


def write_scenario(scenario: Scenario, out_dir: Path) -> None:
    """Write events.jsonl (structured-mode CloudEvents in time order) and truth.jsonl."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / EVENTS_FILE).open("w", encoding="utf-8") as fh:
        for event in scenario.events:
            fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    with (out_dir / TRUTH_FILE).open("w", encoding="utf-8") as fh:
        for record in scenario.truth:
            fh.write(json.dumps(dataclasses.asdict(record), ensure_ascii=False) + "\n")


def read_truth(path: Path) -> list[TruthRecord]:
    """Truth records from a truth.jsonl file."""
    records: list[TruthRecord] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                raw = json.loads(line)
                records.append(
                    TruthRecord(
                        kind=raw["kind"],
                        id=raw["id"],
                        child_id=raw["child_id"],
                        script=raw["script"],
                        origin=raw["origin"],
                        at=raw.get("at", ""),
                    )
                )
    return records


def read_events(path: Path) -> list[dict[str, object]]:
    """Structured-mode CloudEvents from a JSON Lines file, in file order."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
