"""The engine throughput measurement: one row per active-alert count, each the median of its
probe rounds beside the yardstick measured with it."""

from __future__ import annotations

from services.lab.throughput import format_report, measure


def test_each_count_gets_a_row_from_its_probe_rounds() -> None:
    heard: list[int] = []
    measured = measure((40, 20), observations=4, rounds=3, on_count=heard.append)
    assert [row.alerts for row in measured.rows] == [20, 40] == heard
    for row in measured.rows:
        assert row.observations_per_second > 0 and row.ratio_to_reference > 0
        assert row.candidates_per_observation >= 0
    assert "cost per observation at 40 alerts" in format_report(measured)
