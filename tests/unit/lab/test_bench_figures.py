"""The intake benchmark's figures: printable, and a plain dict for a results file."""

from __future__ import annotations

import json

from services.lab.bench.intake import IntakeFigures, format_figures
from services.lab.bench.load import LoadResult, combine


def result(requests: int, seconds: float, p50: float = 10.0, p99: float = 50.0) -> LoadResult:
    return LoadResult(requests=requests, seconds=seconds, p50_ms=p50, p99_ms=p99, errors=0)


FIGURES = IntakeFigures(
    concurrency=16,
    requests=3000,
    warmup=200,
    intake=result(3000, 10.0),
    durable_writes=result(3000, 5.0),
    trivial=result(3000, 1.0),
)


def test_ratios_are_to_the_durable_write_rate_and_the_trivial_handler() -> None:
    assert FIGURES.ratio_to_durable_writes == 0.5
    assert FIGURES.ratio_to_trivial == 0.1


def test_figures_are_a_json_ready_dict() -> None:
    figures = json.loads(json.dumps(FIGURES.as_dict()))
    assert figures["intake"]["per_second"] == 300.0
    assert figures["durable_writes"]["per_second"] == 600.0
    assert figures["ratio_to_durable_writes"] == 0.5
    assert figures["ratio_to_trivial"] == 0.1
    assert figures["concurrency"] == 16


def test_report_names_both_references() -> None:
    text = format_figures(FIGURES)
    assert "0.50x the raw durable-write rate" in text
    assert "0.10x the trivial" in text


def test_rounds_combine_into_one_rate() -> None:
    combined = combine([result(100, 1.0, 10.0, 40.0), result(300, 1.0, 20.0, 90.0)])
    assert (combined.requests, combined.per_second) == (400, 200.0)
    assert (combined.p50_ms, combined.p99_ms) == (15.0, 90.0)
