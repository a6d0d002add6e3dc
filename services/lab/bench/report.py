"""The bench report: results.json (every figure, stable keys), report.md rendered from exactly
those figures, and PNG charts drawn from them.

`render_markdown(results)` is a pure function of the JSON document, so the Markdown, the JSON
and the console (which prints the same part renderings) cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.lab.bench import charts

RESULTS_FILE = "results.json"
REPORT_FILE = "report.md"
FORMAT = "kinlink-bench/1"
PARTS = ("quality", "speed", "engine", "intake", "latency")
TITLES = {
    "quality": "Matching quality (engine vs baselines, held-out seeds)",
    "speed": "Matching speed (engine vs naive pairwise scan, `kinlink match`)",
    "engine": "Engine throughput and memory",
    "intake": "Intake throughput (HTTP, real PostgreSQL)",
    "latency": "End-to-end latency (intake -> correlator -> notifier -> SSE)",
}
PART_CHARTS = {
    "quality": (charts.THRESHOLD, charts.CALIBRATION),
    "engine": (charts.THROUGHPUT,),
    "latency": (charts.LATENCY,),
}


def renderer(part: str) -> Callable[[dict[str, Any]], str]:
    """The Markdown renderer of one part (imported lazily: parts pull in heavy libraries)."""
    if part == "quality":
        from services.lab.bench.quality import render
    elif part == "speed":
        from services.lab.bench.speed import render
    elif part == "engine":
        from services.lab.bench.engine import render
    elif part == "intake":
        from services.lab.bench.intake_figures import render
    elif part == "latency":
        from services.lab.bench.latency import render
    else:
        raise KeyError(part)
    return render


def _f1(block: dict[str, Any], matcher: str, figure: str = "F1") -> str:
    figures = block["matchers"][matcher]["figures"]
    if figures is None:
        return "-"
    return f"{figures[figure]['mean']:.3f}±{figures[figure]['std']:.3f}"


def headline(results: dict[str, Any]) -> list[dict[str, str]]:
    """The summary rows: each figure beside the reference measured in the same run."""
    rows: list[dict[str, str]] = []
    if lat := results.get("latency"):
        e2e, raw = lat["end_to_end"], lat["raw_kafka"]
        rows.append({
            "figure": "end-to-end latency, intake POST to SSE, p50 / p99",
            "measured": f"{e2e['p50_ms']} ms / {e2e['p99_ms']} ms",
            "reference": f"raw Kafka produce->consume {raw['p50_ms']} ms / {raw['p99_ms']} ms: "
                         f"p99 ratio {lat['p99_ratio']}x",
        })
    if quality := results.get("quality"):
        seeds = quality["seeds"]
        for noise, block in quality["noise_models"].items():
            rows.append({
                "figure": f"matching F1, held-out seeds {seeds[0]}-{seeds[-1]}, \"{noise}\"",
                "measured": _f1(block, "engine"),
                "reference": f"fuzzy {_f1(block, 'fuzzy')}, Splink {_f1(block, 'splink')}",
            })
        first = next(iter(quality["noise_models"].items()))
        rows.append({
            "figure": f"registrations / sightings F1, \"{first[0]}\"",
            "measured": f"{_f1(first[1], 'engine', 'regF1')} / {_f1(first[1], 'engine', 'sigF1')}",
            "reference": f"fuzzy {_f1(first[1], 'fuzzy', 'regF1')} / "
                         f"{_f1(first[1], 'fuzzy', 'sigF1')}",
        })
        blocks = quality["noise_models"]
        if all("new_routes" in b["matchers"] for b in blocks.values()):
            rows.append({
                "figure": "matching F1 with half the learnt routes withheld, "
                          + " / ".join(f'"{noise}"' for noise in blocks),
                "measured": " / ".join(_f1(b, "new_routes") for b in blocks.values()),
                "reference": "all routes: " + " / ".join(_f1(b, "engine") for b in blocks.values()),
            })
    if speed := results.get("speed"):
        # The larger scenarios are shown beside the headline, never in its place.
        larger = "".join(
            f"; {row['engine_speedup']}x on {row['children']} children"
            for row in speed.get("scaling", [])[1:]
        )
        rows.append({
            "figure": "engine replay of one scenario",
            "measured": f"{speed['engine_seconds']} s",
            "reference": f"naive pairwise scan {speed['naive_seconds']} s: "
                         f"{speed['engine_speedup']}x faster{larger}",
        })
    if engine := results.get("engine"):
        first_row, last_row = engine["rows"][0], engine["rows"][-1]
        rows.append({
            "figure": f"per-observation cost, {last_row['alerts']:,} vs {first_row['alerts']:,} "
                      "active alerts",
            "measured": f"{engine['cost_largest_vs_smallest']}x",
            "reference": f"{last_row['ratio_to_reference']} json decodes per observation at "
                         f"{last_row['alerts']:,}; memory per 100 000 alerts "
                         f"{engine['memory_mb_per_100k'] or '-'} MB",
        })
    if intake := results.get("intake"):
        ratios = intake["ratios"]
        refs = [
            f"{name} {ratio['throughput']}x" if ratio else f"{name} not measured"
            for name, ratio in (("trivial handler", ratios["trivial"]),
                                ("raw asyncpg writes", ratios["asyncpg"]))
        ]
        row = intake["servers"]["intake"]
        rows.append({
            "figure": "intake throughput, POST /v1/sightings",
            "measured": f"{row['per_second']} req/s" if row else "not measured",
            "reference": "intake / " + ", intake / ".join(refs),
        })
    return rows


def _machine_lines(run: dict[str, Any]) -> list[str]:
    m = run["machine"]
    commit = m["git_commit"] or "unknown"
    dirty = " (with uncommitted changes)" if m["git_dirty"] else ""
    return [
        "| fact | value |",
        "|---|---|",
        f"| date (UTC) | {m['date']} |",
        f"| CPU | {m['cpu_count']} x {m['cpu_model']} |",
        f"| RAM | {m['ram_gb']} GB |",
        f"| load average (1 min) at start | {m['load_average_1m']} |",
        f"| Python | {m['python']} on {m['platform']} |",
        f"| git commit | `{commit}`{dirty} |",
        f"| wall time of the run | {run['wall_seconds']} s ("
        + ", ".join(f"{k} {v} s" for k, v in run.get("part_seconds", {}).items()) + ") |",
        f"| parts | {', '.join(run['parts'])} |",
    ]


def render_markdown(results: dict[str, Any]) -> str:
    """report.md from the results document."""
    run = results["run"]
    lines = [
        "# Kinlink benchmark report",
        "",
        "Every figure stands beside a reference measured in the same run, on the same machine: "
        "read the ratios, not the absolute times. Nothing here passes or fails.",
        "",
        *_machine_lines(run),
        "",
        "## Headline",
        "",
        "| figure | measured | reference in the same run |",
        "|---|---|---|",
        *(f"| {r['figure']} | {r['measured']} | {r['reference']} |" for r in results["headline"]),
    ]
    for part in PARTS:
        if results.get(part) is None:
            continue
        lines += ["", f"## {TITLES[part]}", "", renderer(part)(results[part]).rstrip()]
        for chart in PART_CHARTS.get(part, ()):
            if chart in run["charts"]:
                lines += ["", f"![{chart}]({chart})"]
    if run.get("failures"):
        lines += ["", "## Failed parts", "",
                  *(f"- {part}: {reason}" for part, reason in run["failures"].items())]
    return "\n".join(lines) + "\n"


def write_report(results: dict[str, Any], out: Path) -> list[Path]:
    """Write the charts, results.json and report.md into `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    document = {
        "format": FORMAT,
        "run": dict(results["run"]),
        "headline": headline(results),
        **{part: results.get(part) for part in PARTS},
    }
    # The JSON form is the one truth: charts and Markdown are drawn from it after a round trip.
    document = json.loads(json.dumps(document))
    document["run"]["charts"] = charts.write_charts(document, out)
    (out / RESULTS_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    (out / REPORT_FILE).write_text(render_markdown(document), encoding="utf-8")
    return [out / RESULTS_FILE, out / REPORT_FILE, *(out / c for c in document["run"]["charts"])]
