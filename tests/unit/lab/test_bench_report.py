"""The bench report: report.md, results.json and charts written from one set of figures, and
carrying the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_report_md_is_rendered_from_results_json(tmp_path: Path) -> None:
    write_report(figures(), tmp_path)

    results = json.loads((tmp_path / RESULTS_FILE).read_text())
    report = (tmp_path / REPORT_FILE).read_text()
    assert report == render_markdown(results)


def test_report_md_and_results_json_carry_the_same_numbers(tmp_path: Path) -> None:
    write_report(figures(), tmp_path)

    results = json.loads((tmp_path / RESULTS_FILE).read_text())
    report = (tmp_path / REPORT_FILE).read_text()
    for row in results["headline"]:
        assert f"| {row['figure']} | {row['measured']} | {row['reference']} |" in report
    headline = {row["figure"]: row for row in results["headline"]}
    latency = headline["end-to-end latency, intake POST to SSE, p50 / p99"]
    assert latency["measured"] == "75.2 ms / 253.4 ms"
    assert "2.1 ms / 41.7 ms: p99 ratio 6.1x" in latency["reference"]
    assert headline['matching F1, held-out seeds 1-2, "routes"']["measured"] == "0.655±0.021"
    assert "intake / trivial handler 0.2x" in headline[
        "intake throughput, POST /v1/sightings"]["reference"]
    # Every engine row of results.json is a row of the report.
    for row in results["engine"]["rows"]:
        assert f"| {row['alerts']:,} | {row['observations_per_second']:.1f} |" in report
    assert "| 2026-11-29T06:40:19+00:00 |" in report
    assert "`c6ecfe90acfb1a63f05d4c17567c5e059b924221`" in report


def test_references_not_measured_are_said_so(tmp_path: Path) -> None:
    write_report(figures(), tmp_path)

    results = json.loads((tmp_path / RESULTS_FILE).read_text())
    report = (tmp_path / REPORT_FILE).read_text()
    assert results["intake"]["servers"]["asyncpg"] is None
    assert results["intake"]["ratios"]["asyncpg"] is None
    assert "| raw asyncpg durable writes (reference) | not measured |" in report
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
