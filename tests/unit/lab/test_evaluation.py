"""Evaluation metrics on a hand-built truth and proposal set, computed by hand."""

from __future__ import annotations

from typing import Any

import pytest

from services.lab.evaluation import evaluate, format_report, latest_proposals
from services.lab.scenario import TruthRecord

A1, A2 = "alert-1", "alert-2"
TRUTH = [
    TruthRecord("alert", A1, "c1", "Latn", "AFG", "2025-01-10T00:00:00Z"),
    TruthRecord("alert", A2, "c2", "Latn", "ERI", "2025-01-10T00:00:00Z"),
    TruthRecord("registration", "R1", "c1", "Latn", "AFG", "2025-01-05T00:00:00Z"),  # before
    TruthRecord("registration", "R2", "c1", "Arab", "AFG", "2025-01-20T00:00:00Z"),
    TruthRecord("sighting", "S1", "c1", "Latn", "AFG", "2025-01-15T00:00:00Z"),
    TruthRecord("sighting", "S2", "c2", "Latn", "ERI", "2025-01-12T00:00:00Z"),
    TruthRecord("registration", "R3", "c3", "Latn", "SOM", "2025-01-20T00:00:00Z"),
]


def _p(alert: str, kind: str, obs: str, score: float, revision: int = 1) -> dict[str, Any]:
    return {
        "alert_id": alert,
        "observation": {"type": kind, "id": obs},
        "score": score,
        "revision": revision,
    }


PROPOSALS = [
    _p(A1, "registration", "R2", 0.9, 1),
    _p(A2, "registration", "R2", 0.8),
    _p(A1, "sighting", "S1", 0.7),
    _p(A1, "registration", "R1", 0.95),
    _p(A2, "registration", "R3", 0.5),
    _p(A1, "registration", "R2", 0.6, 2),  # the rescoring supersedes revision 1
]


def test_latest_revision_wins() -> None:
    assert latest_proposals(PROPOSALS)[(A1, "registration", "R2")] == 0.6


def test_precision_recall_f1_and_ranking() -> None:
    m = evaluate(PROPOSALS, TRUTH, k=5)
    row = m.overall
    assert (row.true_pairs, row.proposed, row.correct) == (3, 5, 2)
    assert row.precision == pytest.approx(0.4)
    assert row.recall == pytest.approx(2 / 3)
    assert row.f1 == pytest.approx(0.5)
    # R2's best proposal names the wrong alert, S1's the right one, S2 has none.
    assert (row.recall_at_1.hits, row.recall_at_1.total) == (1, 3)
    assert (row.recall_at_k.hits, row.recall_at_k.total) == (2, 3)
    assert row.blocking is None


def test_split_by_kind_and_script() -> None:
    m = evaluate(PROPOSALS, TRUTH)
    reg, sig, arab = m.row("registration"), m.row("sighting"), m.row("script Arab")
    assert (reg.true_pairs, reg.proposed, reg.correct) == (1, 4, 1)
    assert reg.recall_at_1.value == 0.0
    assert (sig.true_pairs, sig.proposed, sig.correct) == (2, 1, 1)
    assert sig.recall_at_1.value == pytest.approx(0.5)
    assert (arab.true_pairs, arab.proposed, arab.correct) == (1, 2, 1)
    assert m.row("script Latn").true_pairs == 2


def test_recall_at_k_counts_only_the_k_best() -> None:
    row = evaluate(PROPOSALS, TRUTH, k=1).overall
    assert (row.recall_at_k.hits, row.recall_at_k.total) == (0, 2)


def test_threshold_and_blocking_recall() -> None:
    candidates = {
        (A1, "registration", "R2"),
        (A1, "sighting", "S1"),
        (A2, "registration", "R3"),
        (A1, "registration", "R1"),
    }
    row = evaluate(PROPOSALS, TRUTH, threshold=0.65, candidates=candidates).overall
    assert (row.proposed, row.correct) == (3, 1)
    assert row.blocking is not None
    assert (row.blocking.hits, row.blocking.total) == (2, 3)
    assert row.pairs_per_observation == pytest.approx(4 / 5)


def test_whole_cloudevents_are_accepted_and_report_prints() -> None:
    events = [
        {"specversion": "1.0", "type": "org.kinlink.match.proposed.v1", "data": p}
        for p in PROPOSALS
    ]
    assert evaluate(events, TRUTH).overall.correct == 2
    report = format_report(evaluate(PROPOSALS, TRUTH), "tiny")
    assert report.splitlines()[0] == "tiny"
    assert any(line.startswith("script Arab") for line in report.splitlines())


def test_nothing_proposed_is_all_zero() -> None:
    row = evaluate([], TRUTH).overall
    assert (row.precision, row.recall, row.f1, row.recall_at_1.value) == (0.0, 0.0, 0.0, 0.0)
