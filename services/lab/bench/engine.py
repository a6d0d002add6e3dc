"""Engine throughput with growing numbers of active alerts, and memory per 100 000 alerts,
beside a json-decoding yardstick measured in the same run (figures and their Markdown)."""

from __future__ import annotations

import dataclasses
from typing import Any

from services.common.progress import SILENT, Tracker
from services.lab.throughput import measure as measure_throughput


def steps(counts: list[int]) -> int:
    return len(counts)


def measure(counts: list[int], *, tracker: Tracker = SILENT) -> dict[str, Any]:
    """Throughput rows per active-alert count (one index grown through the counts, never
    rebuilt), memory per 100 000 alerts and the reference, as JSON-ready figures."""
    ordered = tuple(sorted(counts))

    def done(count: int) -> None:
        tracker.advance()
        rest = [c for c in ordered if c > count]
        if rest:
            tracker.describe(f"engine: growing the index to {rest[0]:,} alerts")

    tracker.describe(f"engine: growing the index to {ordered[0]:,} alerts")
    measured = measure_throughput(ordered, on_count=done)
    rows = [dataclasses.asdict(row) for row in measured.rows]
    first, last = rows[0], rows[-1]
    # In json decodes per observation (each measured beside its own yardstick), so that load
    # changing between the counts does not pass for a cost of the index.
    cost = (
        round(last["ratio_to_reference"] / first["ratio_to_reference"], 2)
        if first["ratio_to_reference"] else None
    )
    return {
        "reference_per_second": round(measured.reference_per_second),
        "rows": rows,
        # Measured over a growth step of at least 50 000 alerts; None when there was none.
        "memory_mb_per_100k": round(measured.memory_bytes_per_100k / 1e6, 1)
        if measured.memory_bytes_per_100k else None,
        "cost_largest_vs_smallest": cost,
    }


def render(figures: dict[str, Any]) -> str:
    """Markdown: one row per active-alert count, then memory and the cost ratio."""
    lines = [
        f"Reference: {figures['reference_per_second']:,} observation events json-decoded per "
        "second (same run, measured again at each count); one observation costs the number of "
        "such decodes shown, measured beside it.",
        "",
        "| active alerts | observations/s | json decodes per observation | candidates/observation "
        "| cumulative build s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in figures["rows"]:
        lines.append(
            f"| {row['alerts']:,} | {row['observations_per_second']:.1f} | "
            f"{row['ratio_to_reference']:.1f} | {row['candidates_per_observation']:.1f} | "
            f"{row['build_seconds']:.1f} |"
        )
    memory = figures["memory_mb_per_100k"]
    lines += ["", "Memory per 100 000 active alerts: " + (
        f"{memory:.1f} MB (resident, over the largest growth step)." if memory is not None
        else "not measured (no growth step of 50 000 alerts or more).")]
    rows = figures["rows"]
    if figures["cost_largest_vs_smallest"] is not None and len(rows) > 1:
        lines.append(
            f"Cost per observation at {rows[-1]['alerts']:,} alerts: "
            f"{figures['cost_largest_vs_smallest']:.2f}x its cost at {rows[0]['alerts']:,}."
        )
    return "\n".join(lines) + "\n"
