"""`kinlink bench`: run the benchmarks and print figures beside same-run references."""

from __future__ import annotations

import time

import click


@click.command()
@click.option("--seed", default=2, show_default=True, help="Scenario seed for quality figures.")
@click.option("--children", default=600, show_default=True, help="Scenario size.")
@click.option(
    "--alerts",
    default="1000,10000,100000,1000000",
    show_default=True,
    help="Active-alert counts for the engine throughput benchmark.",
)
@click.option(
    "--only",
    type=click.Choice(["quality", "engine", "intake", "latency"]),
    multiple=True,
    help="Run only these parts (default: all).",
)
def bench(seed: int, children: int, alerts: str, only: tuple[str, ...]) -> None:
    """Matching quality vs baselines, engine throughput and memory, intake throughput."""
    parts = set(only) or {"quality", "engine", "intake", "latency"}
    started = time.monotonic()
    if "quality" in parts:
        from services.lab.bench.quality import report

        click.echo("== matching quality (engine vs baselines) ==")
        click.echo(report(seed, children))
    if "engine" in parts:
        from services.lab.bench.engine import report as engine_report

        click.echo("\n== engine throughput and memory ==")
        click.echo(engine_report([int(n) for n in alerts.split(",")]))
    if "intake" in parts:
        from services.lab.bench.intake import report as intake_report

        click.echo("\n== intake throughput (HTTP, real PostgreSQL) ==")
        click.echo(intake_report())
    if "latency" in parts:
        from services.lab.bench.latency import report as latency_report

        click.echo("\n== end-to-end latency (intake -> correlator -> notifier -> SSE) ==")
        click.echo(latency_report())
    click.echo(f"\nbench finished in {time.monotonic() - started:.0f}s")
