"""`kinlink bench`: run the benchmarks and print figures beside same-run references."""

from __future__ import annotations

import time

import click


@click.command()
@click.option(
    "--seeds",
    default="1,2,3,4,5",
    show_default=True,
    help="Held-out scenario seeds for quality figures (never fitted on).",
)
@click.option("--children", default=600, show_default=True, help="Scenario size.")
@click.option(
    "--alerts",
    default="1000,10000,100000,1000000",
    show_default=True,
    help="Active-alert counts for the engine throughput benchmark.",
)
@click.option(
    "--only",
    type=click.Choice(["quality", "speed", "engine", "intake", "latency"]),
    multiple=True,
    help="Run only these parts (default: all).",
)
def bench(seeds: str, children: int, alerts: str, only: tuple[str, ...]) -> None:
    """Matching quality vs baselines, matching speed, engine throughput and memory, intake
    throughput, end-to-end latency."""
    parts = set(only) or {"quality", "speed", "engine", "intake", "latency"}
    started = time.monotonic()
    held_out = tuple(int(s) for s in seeds.split(","))
    if "quality" in parts:
        from services.lab.bench.quality import report

        click.echo("== matching quality (engine vs baselines, held-out seeds) ==")
        click.echo(report(held_out, children))
    if "speed" in parts:
        from services.lab.bench.speed import report as speed_report

        click.echo("\n== matching speed ==")
        click.echo(speed_report(held_out[0], children))
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
