"""`kinlink bench`: run the benchmarks, print each part's figures beside same-run references,
and write report.md, results.json and PNG charts into the output folder."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from services.common.progress import Tracker, progress_bar, wanted
from services.devstack.paths import cache_dir
from services.lab.bench.machine import machine_facts
from services.lab.bench.report import PARTS, REPORT_FILE, TITLES, renderer, write_report

NEEDS_STACK = ("intake", "latency")


def _plan(
    parts: set[str], seeds: tuple[int, ...], children: int, counts: list[int], jobs: int
) -> list[tuple[str, int, Callable[[Tracker], dict[str, Any]]]]:
    """(part, progress steps, how to measure it) in run order: quality first (its figures do
    not depend on timing, so it may use several processes), then the timed parts one by one."""
    from services.lab.bench import engine, intake_figures, latency, quality, speed

    plan: dict[str, tuple[int, Callable[[Tracker], dict[str, Any]]]] = {
        "quality": (quality.steps(seeds),
                    lambda t: quality.measure(seeds, children, jobs=jobs, tracker=t)),
        "speed": (speed.steps(), lambda t: speed.measure(seeds[0], children, tracker=t)),
        "engine": (engine.steps(counts), lambda t: engine.measure(counts, tracker=t)),
        "intake": (intake_figures.steps(), lambda t: intake_figures.measure(tracker=t)),
        "latency": (latency.steps(), lambda t: latency.measure(tracker=t)),
    }
    return [(part, *plan[part]) for part in PARTS if part in parts]


@click.command()
@click.option(
    "--seeds",
    default="1,2,3,4,5",
    show_default=True,
    help="Held-out scenario seeds for quality figures (never fitted on).",
)
@click.option("--children", default=600, show_default=True, help="Scenario size.")
@click.option("--alerts", default="1000,10000,100000,1000000", show_default=True,
              help="Active-alert counts for the engine throughput benchmark.")
@click.option("--only", type=click.Choice(PARTS), multiple=True,
              help="Run only these parts (default: all).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report.md, results.json and the charts [default: .cache/bench].")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for the quality part [default: 2, or 1 on one CPU].")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr [default: when stderr is a terminal].")
def bench(
    seeds: str, children: int, alerts: str, only: tuple[str, ...], out: Path | None,
    jobs: int | None, progress: bool | None,
) -> None:
    """Matching quality vs baselines, matching speed, engine throughput and memory, intake
    throughput, end-to-end latency: figures as ratios to references measured in the same run."""
    parts = set(only) or set(PARTS)
    held_out = tuple(int(s) for s in seeds.split(","))
    counts = sorted(int(n) for n in alerts.split(","))
    workers = jobs or min(2, os.cpu_count() or 1)
    out_dir = out or cache_dir() / "bench"
    started = time.monotonic()
    run: dict[str, Any] = {
        "machine": machine_facts(),
        "options": {"seeds": list(held_out), "children": children, "alerts": counts,
                    "quality_workers": workers},
        "parts": [p for p in PARTS if p in parts],
        "failures": {},
        "part_seconds": {},
    }
    results: dict[str, Any] = {}
    plan = _plan(parts, held_out, children, counts, workers)
    total = sum(steps for _, steps, _ in plan)
    stack_started = False
    with ExitStack() as stack, progress_bar(total, "bench", enabled=wanted(progress)) as tracker:
        for part, steps, measure in plan:
            if part in NEEDS_STACK and not stack_started:
                from services.lab.bench.stack import bench_stack

                # One broker and database for both parts, stopped when the run ends.
                tracker.describe("starting the bench's Kafka and PostgreSQL")
                stack.enter_context(bench_stack())
                stack_started = True
            part_started = time.monotonic()
            results[part] = _run_part(part, steps, measure, tracker, run["failures"])
            run["part_seconds"][part] = round(time.monotonic() - part_started)
    run["wall_seconds"] = round(time.monotonic() - started)
    written = write_report({"run": run, **results}, out_dir)
    click.echo(f"\nbench finished in {run['wall_seconds']} s; report: {out_dir / REPORT_FILE} "
               f"({len(written)} files in {out_dir})")
    if run["failures"]:
        raise click.ClickException(f"parts failed: {', '.join(sorted(run['failures']))}")


def _run_part(
    part: str, steps: int, measure: Callable[[Tracker], dict[str, Any]], tracker: Tracker,
    failures: dict[str, str],
) -> dict[str, Any] | None:
    """Measure one part and print it; a part that fails is reported and the others still run."""
    try:
        figures: dict[str, Any] = json.loads(json.dumps(measure(tracker)))
    except Exception as error:  # noqa: BLE001 - one broken part must not lose the others
        failures[part] = f"{type(error).__name__}: {error}"
        click.echo(f"\n== {TITLES[part]} ==\nFAILED: {failures[part]}", err=True)
        tracker.advance(steps)
        return None
    click.echo(f"\n== {TITLES[part]} ==\n\n{renderer(part)(figures)}")
    return figures
