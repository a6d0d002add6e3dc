"""The bench report: report.md, results.json and charts written from one set of figures, and
carrying the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.lab.bench.report import (
    PARTS,
    REPORT_FILE,
    RESULTS_FILE,
    render_markdown,
    write_report,
)
from tests.unit.lab.bench_figures import figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHARTS = ("engine_throughput.png", "latency_distribution.png",
          "precision_recall_threshold.png", "calibration.png")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One report written from the synthetic figures, read by several tests."""
    folder = tmp_path_factory.mktemp("bench")
    write_report(figures(), folder)
    return folder


def test_writes_report_results_and_charts(tmp_path: Path) -> None:
    written = write_report(figures(), tmp_path / "bench")

    out = tmp_path / "bench"
    assert {p.name for p in written} == {REPORT_FILE, RESULTS_FILE, *CHARTS}
    for chart in CHARTS:
        assert (out / chart).read_bytes().startswith(PNG_SIGNATURE)
        assert f"![{chart}]({chart})" in (out / REPORT_FILE).read_text()
    results = json.loads((out / RESULTS_FILE).read_text())
    assert list(results) == ["format", "run", "headline", *PARTS]
    assert results["format"] == "kinlink-bench/1"
    assert set(results["run"]["machine"]) >= {
        "date", "cpu_count", "cpu_model", "ram_gb", "python", "git_commit"}
    assert results["run"]["charts"] == list(CHARTS)
    assert results["quality"]["noise_models"]["routes"]["matchers"]["engine"]["figures"]["F1"][
        "mean"] == 0.655


def test_report_md_is_rendered_from_results_json(out: Path) -> None:
    results = json.loads((out / RESULTS_FILE).read_text())
    report = (out / REPORT_FILE).read_text()
    assert report == render_markdown(results)


def test_report_md_and_results_json_carry_the_same_numbers(out: Path) -> None:
    results = json.loads((out / RESULTS_FILE).read_text())
    report = (out / REPORT_FILE).read_text()
    for row in results["headline"]:
        assert f"| {row['figure']} | {row['measured']} | {row['reference']} |" in report
    headline = {row["figure"]: row for row in results["headline"]}
    latency = headline["end-to-end latency, intake POST to SSE, p50 / p99"]
    assert latency["measured"] == "75.2 ms / 253.4 ms"
    assert "2.1 ms / 41.7 ms: p99 ratio 6.1x" in latency["reference"]
    assert headline['matching F1, held-out seeds 1-2, "routes"']["measured"] == "0.655±0.021"
    assert "intake / trivial handler 0.2x" in headline[
        "intake throughput, POST /v1/sightings"]["reference"]
    assert headline["engine replay of one scenario"]["reference"] == (
        "naive pairwise scan 2.01 s: 2.7x faster; 4.2x on 180 children")
    # Every scaling row of the speed part is a row of the report, the headline's first.
    scaling = results["speed"]["scaling"]
    assert scaling[0]["engine_speedup"] == results["speed"]["engine_speedup"]
    for row in scaling:
        assert (f"| {row['children']} | {row['alerts']} | {row['observations']} | "
                f"{row['engine_seconds']:.2f} s | {row['naive_seconds']:.2f} s "
                f"({row['naive_pairs']}) | {row['engine_speedup']:.1f}x |") in report
    # Every engine row of results.json is a row of the report.
    for row in results["engine"]["rows"]:
        assert f"| {row['alerts']:,} | {row['observations_per_second']:.1f} |" in report
    assert "| 2026-11-29T06:40:19+00:00 |" in report
    assert "`c6ecfe90acfb1a63f05d4c17567c5e059b924221`" in report


def test_references_not_measured_are_said_so(out: Path) -> None:
    results = json.loads((out / RESULTS_FILE).read_text())
    report = (out / REPORT_FILE).read_text()
    assert results["intake"]["servers"]["asyncpg"] is None
    assert results["intake"]["ratios"]["asyncpg"] is None
    assert "| raw asyncpg durable writes (reference) | not measured | not measured |" in report
    assert "splink (not run: no module named splink) | - |" in report


def test_only_the_parts_that_ran_are_reported(tmp_path: Path) -> None:
    partial = figures()
    for part in ("quality", "intake", "latency"):
        del partial[part]

    written = write_report(partial, tmp_path)

    results = json.loads((tmp_path / RESULTS_FILE).read_text())
    assert results["quality"] is None and results["latency"] is None
    assert {p.name for p in written} == {REPORT_FILE, RESULTS_FILE, "engine_throughput.png"}
    assert "## Matching quality" not in (tmp_path / REPORT_FILE).read_text()


def test_threshold_curve_from_proposal_counts_and_reliability_from_score_histograms() -> None:
    from services.lab.bench.quality import CURVE_THRESHOLDS, FINE_BINS, _curves

    def run(
        true_bins: dict[int, int],
        false_bins: dict[int, int],
        proposed: dict[float, tuple[int, int]],
        true_pairs: int,
    ) -> dict:
        histogram = {
            "true": [true_bins.get(b, 0) for b in range(FINE_BINS)],
            "false": [false_bins.get(b, 0) for b in range(FINE_BINS)],
            "score_sum": [(true_bins.get(b, 0) + false_bins.get(b, 0)) * (b + 0.5) / FINE_BINS
                          for b in range(FINE_BINS)],
        }
        # (true, false) pairs proposed at each curve threshold (`share_curve.proposed_counts`)
        curve = {
            "true": [proposed.get(t, (0, 0))[0] for t in CURVE_THRESHOLDS],
            "false": [proposed.get(t, (0, 0))[1] for t in CURVE_THRESHOLDS],
        }
        return {"histogram": histogram, "curve": curve, "true_pairs": true_pairs,
                "threshold_on": "share"}

    # Two seeds: true pairs score 0.9x, false ones 0.1x and 0.6x; 2 true pairs never scored.
    curves = _curves([
        run({92: 3}, {12: 6}, {0.0: (3, 6), 0.5: (3, 1), 0.9: (2, 0)}, 4),
        run({95: 1, 61: 1}, {63: 1}, {0.0: (2, 1), 0.5: (2, 0), 0.9: (1, 0)}, 3),
    ])

    by_threshold = {p["threshold"]: p for p in curves["threshold_curve"]}
    assert [p["threshold"] for p in curves["threshold_curve"]] == [
        round(t, 2) for t in CURVE_THRESHOLDS]
    # Summed over the seeds; recall is over every true pair, scored or not.
    assert by_threshold[0.0] == {"threshold": 0.0, "precision": 0.417, "recall": 0.714}
    assert by_threshold[0.5] == {"threshold": 0.5, "precision": 0.833, "recall": 0.714}
    assert by_threshold[0.9] == {"threshold": 0.9, "precision": 1.0, "recall": 0.429}
    assert by_threshold[0.95] == {"threshold": 0.95, "precision": 1.0, "recall": 0.0}
    assert curves["threshold_on"] == "share"
    # Reliability stays on each pair's own score.
    reliability = {b["low"]: b for b in curves["reliability"]}
    assert set(reliability) == {0.1, 0.6, 0.9}
    assert reliability[0.6]["pairs"] == 2 and reliability[0.6]["share_true"] == 0.5
    assert reliability[0.9]["share_true"] == 1.0


def test_report_says_what_the_threshold_curve_is_on() -> None:
    from services.lab.bench.quality import render

    quality = figures()["quality"]
    shares = render(quality)
    assert "share of the probability for its observation" in shares
    assert "withdrawals are left out" in shares

    older = json.loads(json.dumps(quality))
    for block in older["noise_models"].values():
        block["threshold_on"] = "score"  # weights without absent_bits
    scores = render(older)
    assert "on each scored candidate pair's own score" in scores
    assert "no `absent_bits`" in scores
    assert "share of the probability for its observation" not in scores


def test_results_written_before_the_share_curve_still_render(tmp_path: Path) -> None:
    older = figures()
    for part in ("speed", "engine", "intake", "latency"):
        del older[part]  # fewer charts to draw
    for block in older["quality"]["noise_models"].values():
        del block["threshold_on"]

    written = write_report(older, tmp_path)

    assert "precision_recall_threshold.png" in {p.name for p in written}
    assert "on each scored candidate pair's own score" in (tmp_path / REPORT_FILE).read_text()
