"""Synthetic scenarios with ground truth: children on real routes, noisy records, alerts."""

from __future__ import annotations

from .generator import generate_scenario
from .io import read_events, read_truth, write_scenario
from .model import Scenario, TruthRecord, true_pairs_from

__all__ = [
    "Scenario",
    "TruthRecord",
    "generate_scenario",
    "read_events",
    "read_truth",
    "true_pairs_from",
    "write_scenario",
]
