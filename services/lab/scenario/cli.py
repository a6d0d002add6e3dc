"""`kinlink scenario ...`: generate synthetic scenarios with ground truth."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import click

from .generator import generate_scenario
from .io import EVENTS_FILE, TRUTH_FILE, write_scenario
from .profiles import PROFILES

scenario = click.Group("scenario", help="Synthetic scenarios with ground truth.")


@scenario.command("generate")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--children", type=click.IntRange(min=1), default=600, show_default=True)
@click.option(
    "--alert-fraction",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Share of children who go missing and get an alert (default: the noise "
    "model's, 0.4 for routes).",
)
@click.option(
    "--noise",
    type=click.Choice(sorted(PROFILES)),
    default="routes",
    show_default=True,
    help="Noise model of the records.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help=f"Directory for {EVENTS_FILE} and {TRUTH_FILE}.",
)
def generate(
    seed: int, children: int, alert_fraction: float | None, noise: str, out_dir: Path
) -> None:
    """Generate a scenario and write its events and truth."""
    started = time.perf_counter()
    result = generate_scenario(seed, children=children, alert_fraction=alert_fraction, noise=noise)
    elapsed = time.perf_counter() - started
    write_scenario(result, out_dir)
    types = Counter(str(e["type"]) for e in result.events)
    click.echo(
        f"seed {seed}: {children} children, {len(result.events)} events "
        f"generated in {elapsed:.2f} s -> {out_dir}"
    )
    for ce_type, count in sorted(types.items()):
        click.echo(f"  {ce_type:<40} {count:>6}")
    click.echo(f"  {'true pairs':<40} {len(result.true_pairs()):>6}")
