"""`kinlink match EVENTS.jsonl --out MATCHES.jsonl`: the offline matcher as a command."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from services.common.progress import SILENT, Tracker, progress_bar, wanted
from services.correlator.domain.engine import MatchEngine
from services.correlator.offline import run_match
from services.correlator.tables import load_tables

# Below this a run takes a second or two: no bar unless asked for.
LARGE_INPUT_BYTES = 1_000_000


def _read_events(
    path: Path, problems: list[str], tracker: Tracker = SILENT
) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            tracker.advance(len(line.encode("utf-8")))
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"line {number}: invalid JSON ({error.msg})")
                continue
            if isinstance(event, dict):
                yield event
            else:
                problems.append(f"line {number}: not a JSON object")


@click.command(name="match")
@click.argument("events", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write match.proposed CloudEvents (JSONL).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Proposal threshold on the calibrated score (default: the fitted one).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal and the file is large).",
)
def match(events: Path, out: Path, threshold: float | None, progress: bool | None) -> None:
    """Match alerts against registrations and sightings in EVENTS (structured CloudEvents)."""
    started = time.perf_counter()
    problems: list[str] = []
    counts: Counter[str] = Counter()
    engine = MatchEngine(load_tables(), threshold=threshold)
    written = 0
    size = events.stat().st_size
    show = wanted(progress) and (progress is not None or size >= LARGE_INPUT_BYTES)
    try:
        with (
            progress_bar(size, f"matching {events.name}", enabled=show) as tracker,
            out.open("w", encoding="utf-8") as sink,
        ):
            for event in run_match(_read_events(events, problems, tracker), engine, counts=counts):
                sink.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
                written += 1
    except OSError as error:
        raise click.ClickException(f"cannot read or write: {error}") from error
    for problem in problems:
        click.echo(problem, err=True)
    for kind, count in sorted(counts.items()):
        click.echo(f"{count:8d}  {kind}", err=True)
    stats = engine.stats
    click.echo(
        f"{written} proposals, {stats.candidates_per_observation:.1f} candidates scored per "
        f"observation, {len(problems)} bad lines, {time.perf_counter() - started:.1f} s",
        err=True,
    )


if __name__ == "__main__":
    sys.exit(match())
