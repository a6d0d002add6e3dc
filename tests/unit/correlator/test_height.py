"""Heights as evidence: a later record may be taller by the growth possible since the alert,
never shorter; how far outside that span it falls grades the pair; no height on one side, or
an implausible one, says nothing."""

from __future__ import annotations

from services.correlator.domain.height import height_level, parse_height

DAY = 86400.0


def test_the_same_height_or_growth_since_the_alert_agrees() -> None:
    assert height_level(158, 160, 0.0, 30 * DAY) == "close"
    # Eight centimetres in a year is growth, the same in a week is not.
    assert height_level(150, 158, 0.0, 365 * DAY) == "close"
    assert height_level(150, 158, 0.0, 7 * DAY) == "near"


def test_a_shorter_child_later_is_graded_by_how_much_shorter() -> None:
    assert height_level(160, 157, 0.0, 365 * DAY) == "close"
    assert height_level(160, 153, 0.0, 365 * DAY) == "near"
    assert height_level(160, 148, 0.0, 365 * DAY) == "apart"
    assert height_level(160, 140, 0.0, 365 * DAY) == "far"


def test_without_times_no_growth_is_allowed_for() -> None:
    assert height_level(150, 158, None, 365 * DAY) == "near"
    assert height_level(150, 158, 0.0, None) == "near"


def test_no_height_or_an_implausible_one_says_nothing() -> None:
    assert height_level(None, 150, 0.0, DAY) == "missing"
    assert height_level(150, None, 0.0, DAY) == "missing"
    assert parse_height(158) == 158
    assert parse_height("158") is None and parse_height(True) is None
    assert parse_height(12) is None and parse_height(400) is None
