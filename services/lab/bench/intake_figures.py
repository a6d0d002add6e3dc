"""Intake throughput figures for the report: an adapter over `services.lab.bench.intake`.

That module owns the measurement (intake's HTTP door, a trivial aiohttp handler and raw asyncpg
durable writes as references, in alternating turns); its `measure()` result is read here through
`SERVER_FIELDS` into the report's shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from services.common.progress import SILENT, Tracker
from services.lab.bench import intake

# Name of each server's figures in the result of `intake.measure()` -> name in the report.
SERVER_FIELDS = {"intake": "intake", "trivial": "trivial", "durable_writes": "asyncpg"}
SERVERS = {
    "intake": "intake (validate+auth+audit+outbox)",
    "trivial": "trivial aiohttp handler (reference)",
    "asyncpg": "raw asyncpg durable writes (reference)",
}


def steps() -> int:
    return 2


def _row(result: Any) -> dict[str, Any] | None:
    """One server's figures from a LoadResult, a dataclass or a mapping of the same names."""
    if result is None:
        return None
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        raw: Mapping[str, Any] = dataclasses.asdict(result)
    elif isinstance(result, Mapping):
        raw = result
    else:
        raw = {k: getattr(result, k) for k in ("requests", "seconds", "p50_ms", "p99_ms", "errors")}
    per_second = raw.get("per_second")
    if per_second is None:
        per_second = raw["requests"] / raw["seconds"] if raw.get("seconds") else 0.0
    return {
        "requests": int(raw["requests"]),
        "per_second": round(float(per_second), 1),
        "p50_ms": round(float(raw["p50_ms"]), 1),
        "p99_ms": round(float(raw["p99_ms"]), 1),
        "errors": int(raw.get("errors", 0)),
    }


def figures_from(servers: Mapping[str, Any]) -> dict[str, Any]:
    """The report's intake figures from each server's load result (None: not measured)."""
    rows = {name: _row(servers.get(name)) for name in SERVERS}
    measured = rows["intake"]
    ratios: dict[str, Any] = {}
    for reference in ("trivial", "asyncpg"):
        ref = rows[reference]
        if measured is None or ref is None or not ref["per_second"]:
            ratios[reference] = None
            continue
        ratios[reference] = {
            "throughput": round(measured["per_second"] / ref["per_second"], 2),
            "p50": round(measured["p50_ms"] / ref["p50_ms"], 1) if ref["p50_ms"] else None,
            "p99": round(measured["p99_ms"] / ref["p99_ms"], 1) if ref["p99_ms"] else None,
        }
    return {
        "concurrency": intake.CONCURRENCY,
        "requests": intake.REQUESTS,
        "warmup": intake.WARMUP,
        "servers": rows,
        "ratios": ratios,
    }


def measure(*, tracker: Tracker = SILENT) -> dict[str, Any]:
    """Intake figures beside its references, measured in this run by `intake.measure()`."""
    tracker.describe("intake: HTTP door against its references")
    result = intake.measure()
    tracker.advance(steps())
    fields = vars(result)
    return figures_from({ours: fields.get(theirs) for theirs, ours in SERVER_FIELDS.items()})


def _cell(row: dict[str, Any] | None, key: str, fmt: str) -> str:
    return "not measured" if row is None else format(row[key], fmt)


def render(figures: dict[str, Any]) -> str:
    """Markdown: one row per server, then the ratios to each reference."""
    lines = [
        f"POST /v1/sightings, {figures['concurrency']} concurrent clients, "
        f"{figures['requests']} requests after {figures['warmup']} warm-up, loopback (a load "
        "stops after 60 s: see requests done).",
        "",
        "| server | requests done | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, label in SERVERS.items():
        row = figures["servers"][name]
        lines.append(
            f"| {label} | {_cell(row, 'requests', 'd')} | {_cell(row, 'per_second', '.1f')} | "
            f"{_cell(row, 'p50_ms', '.1f')} | "
            f"{_cell(row, 'p99_ms', '.1f')} | {_cell(row, 'errors', 'd')} |"
        )
    lines.append("")
    for reference, ratio in figures["ratios"].items():
        label = SERVERS[reference].removesuffix(" (reference)")
        if ratio is None:
            lines.append(f"- against the {label}: not measured in this run.")
        else:
            lines.append(
                f"- intake throughput = {ratio['throughput']:.2f}x the {label}; p50 latency "
                f"{_ratio(ratio['p50'])}, p99 {_ratio(ratio['p99'])}."
            )
    return "\n".join(lines) + "\n"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"
