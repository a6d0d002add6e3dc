"""Matches proposed are counted by score band and withdrawals by reason, from what the outbox
relay published: one count per published revision."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.common.catalog import MATCH_PROPOSED, MATCH_REVIEWED, MATCH_WITHDRAWN
from services.common.envelope import new_event
from services.correlator.metrics import BANDS, count_published, score_band


@pytest.mark.parametrize(
    ("score", "band"),
    [(0.0, "0.0-0.2"), (0.19, "0.0-0.2"), (0.2, "0.2-0.4"), (0.65, "0.6-0.8"), (0.8, "0.8-1.0"),
     (1.0, "0.8-1.0")],  # fmt: skip
)
def test_a_score_falls_in_one_band(score: float, band: str) -> None:
    assert score_band(score) == band


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_published_match_events_are_counted_by_band_and_reason() -> None:
    before = {band: _value("kinlink_matches_proposed_total", band=band) for band in BANDS}
    withdrawn_before = _value("kinlink_matches_withdrawn_total", reason="outranked")
    count_published(
        [
            new_event(MATCH_PROPOSED, "/c", "m-1", {"score": 0.91}),
            new_event(MATCH_PROPOSED, "/c", "m-2", {"score": 0.45}),
            new_event(MATCH_PROPOSED, "/c", "m-3", {"score": 0.97}),
            new_event(MATCH_WITHDRAWN, "/c", "m-2", {"reason": "outranked"}),
            new_event(MATCH_REVIEWED, "/c", "m-1", {"decision": "confirmed"}),
        ]
    )
    after = {band: _value("kinlink_matches_proposed_total", band=band) for band in BANDS}
    assert {band: after[band] - before[band] for band in BANDS} == {
        "0.0-0.2": 0, "0.2-0.4": 0, "0.4-0.6": 1, "0.6-0.8": 0, "0.8-1.0": 2,
    }  # fmt: skip
    assert _value("kinlink_matches_withdrawn_total", reason="outranked") == withdrawn_before + 1
