"""Engine throughput with growing numbers of active alerts, and memory per 100 000 alerts."""

from __future__ import annotations

from services.lab.throughput import format_report, measure


def report(counts: list[int]) -> str:
    return format_report(measure(tuple(sorted(counts))))
