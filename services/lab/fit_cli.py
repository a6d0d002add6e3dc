"""`kinlink fit`: refit the engine's weights from fitting scenarios and investigators' reviews.

Reviews come from the correlator's store (`--database-url`: the decisions stored with the
levels the engine saw, and the name-token counts of the stored records) or from a JSON Lines
file (`--reviews`: one {"obs_type", "decision", "levels"} object per line). The new weights are
written to a versioned file (the version names them in every proposal's `engine_version`);
`--install` also makes them the shipped `weights.json`. The change in quality against the
current weights is reported on held-out seeds of both noise models.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from services.correlator.domain.scoring import Weights
from services.correlator.repository import StoredReview
from services.lab.fit_data import FIT_CHILDREN, FIT_SCENARIOS, REVIEW_WEIGHT, FitSpec

REPORT_SEEDS = (1, 2)
REPORT_CHILDREN = 300


def read_reviews(path: Path) -> list[StoredReview]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append(
                StoredReview(
                    raw["obs_type"], raw["decision"], dict(raw["levels"]), raw.get("engine_version")
                )
            )
    return out


async def _from_store(url: str) -> tuple[list[StoredReview], dict[str, int]]:
    from services.common.db import create_pool
    from services.common.schema_registry import SchemaRegistry
    from services.correlator.postgres import PostgresCorrelatorRepository

    pool = await create_pool(url, max_size=1)
    try:
        repository = PostgresCorrelatorRepository(pool, SchemaRegistry.load(), lambda t: t)
        async with repository.transaction() as tx:
            return await tx.stored_reviews(), await tx.name_token_counts()
    finally:
        await pool.close()


def quality_change(old: Weights, new: Weights, seeds: tuple[int, ...]) -> str:
    """F1 overall, for registrations and sightings, with the old and the new weights."""
    from services.correlator.domain.engine import MatchEngine
    from services.correlator.offline import run_match
    from services.correlator.tables import load_tables
    from services.lab.evaluation import evaluate
    from services.lab.scenario import generate_scenario

    lines = [f"{'held-out scenario':<22}{'old F1 all/reg/sig':>24}{'new F1 all/reg/sig':>24}"]
    for noise in ("routes", "other"):
        for seed in seeds:
            scenario = generate_scenario(seed, children=REPORT_CHILDREN, noise=noise)
            cells = []
            for weights in (old, new):
                events = run_match(scenario.events, MatchEngine(load_tables(weights)))
                m = evaluate(events, scenario.truth)
                cells.append(
                    "/".join(f"{m.row(s).f1:.3f}" for s in ("all", "registration", "sighting"))
                )
            lines.append(f"{f'{noise} seed {seed}':<22}{cells[0]:>24}{cells[1]:>24}")
    return "\n".join(lines)


@click.command(name="fit")
@click.option(
    "--reviews",
    "reviews_file",
    type=click.Path(exists=True, path_type=Path),
    help="JSON Lines of reviews with the levels the engine saw.",
)
@click.option(
    "--database-url",
    help="Read reviews and name-token counts from the correlator's store (PostgreSQL URL).",
)
@click.option(
    "--review-weight",
    default=REVIEW_WEIGHT,
    show_default=True,
    help="How many synthetic pairs one review counts as.",
)
@click.option("--children", default=FIT_CHILDREN, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the weights (default: weights-<version>.json here).",
)
@click.option("--install", is_flag=True, help="Also replace the shipped weights.json.")
@click.option("--no-report", is_flag=True, help="Skip the quality comparison.")
def fit(
    reviews_file: Path | None,
    database_url: str | None,
    review_weight: float,
    children: int,
    out: Path | None,
    install: bool,
    no_report: bool,
) -> None:
    """Refit the matching weights; write a new versioned weights file."""
    from services.correlator.domain.name_frequency import parse_frequency_table
    from services.correlator.tables import NAME_FREQUENCIES_FILE, WEIGHTS_FILE, load_weights
    from services.lab.fit_data import build_weights

    reviews = read_reviews(reviews_file) if reviews_file else []
    counts: dict[str, int] = {}
    if database_url:
        stored, counts = asyncio.run(_from_store(database_url))
        reviews += stored
    spec = FitSpec(FIT_SCENARIOS, children, tuple(reviews), review_weight, counts)
    words = parse_frequency_table(NAME_FREQUENCIES_FILE.read_text(encoding="utf-8"))
    weights = build_weights(spec, words)
    target = out or Path(f"weights-{weights.version}.json")
    target.write_text(weights.to_json() + "\n", encoding="utf-8")
    click.echo(f"weights {weights.version} ({len(reviews)} reviews) written to {target}")
    if not no_report:
        click.echo(quality_change(load_weights(), weights, REPORT_SEEDS))
    if install:
        WEIGHTS_FILE.write_text(weights.to_json() + "\n", encoding="utf-8")
        click.echo(f"installed as {WEIGHTS_FILE}")
