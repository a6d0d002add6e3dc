"""Distinguishing marks as evidence: one mark described in other words, another language or
from the other side of the body agrees or partly agrees; marks that do not meet count weakly
against; no readable mark on one side says nothing."""

from __future__ import annotations

from services.correlator.domain.marks import marks_level, parse_marks


def _level(a: list[str], b: list[str]) -> str:
    return marks_level(parse_marks(a), parse_marks(b))


def test_one_mark_described_by_different_keepers_agrees() -> None:
    assert _level(["scar above left eyebrow"], ["small scar on forehead, left side"]) == "agree"
    assert _level(["scar above left eyebrow"], ["cicatrice front gauche"]) == "agree"
    assert _level(["left cheek scar, right hand burn"], ["Brandnarbe Hand rechts"]) == "agree"
    assert _level(["missing front tooth"], ["Zahnlücke"]) == "agree"
    # A mole and a birthmark are one dark spot to most describers.
    assert _level(["mole on the neck"], ["birthmark, neck"]) == "agree"


def test_a_mark_placed_roughly_or_mirrored_agrees_partly() -> None:
    assert _level(["left cheek scar"], ["Narbe an der rechten Wange"]) == "partial"
    assert _level(["scar on chin"], ["scar on the left ear"]) == "partial"  # both on the face
    assert _level(["scar"], ["scar on left knee"]) == "partial"


def test_marks_that_do_not_meet_differ_and_no_mark_says_nothing() -> None:
    assert _level(["tattoo on left arm"], ["scar on chin"]) == "differ"
    assert _level(["burn on right hand"], ["burn on left knee"]) == "differ"
    assert _level(["scar on chin"], []) == "missing"
    assert _level(["scar on chin"], ["wears glasses"]) == "missing"
    assert parse_marks("scar") == () and parse_marks([3, None]) == ()
