"""Places of birth as evidence: one place however it is transliterated, hyphenated or followed by
its province is the same place; one transliteration apart is close; a town against its province
agrees only on the region; two different places are evidence against; no place on one side
says nothing."""

from __future__ import annotations

from services.correlator.domain.birthplace import birthplace_level, parse_birthplace


def _level(a: str, b: str) -> str:
    return birthplace_level(parse_birthplace({"place": a}), parse_birthplace({"place": b}))


def test_one_place_written_by_different_clerks_is_the_same_place() -> None:
    assert _level("Jalalabad, Nangarhar", "Djalalabad") == "same"
    assert _level("Jalal Abad", "Dschalalabad, Ningarhar") == "same"
    assert _level("Nzérékoré", "N'Zerekore") == "same"
    assert _level("Mazar-i-Sharif", "Mazar-e Sharif, Balkh province") == "same"
    # The country is not compared: the nationality signal already weighs it.
    a = parse_birthplace({"place": "Mashhad", "country": "IRN"})
    assert birthplace_level(a, parse_birthplace({"place": "Mashhad", "country": "AFG"})) == "same"


def test_one_transliteration_apart_is_close_and_other_towns_are_not() -> None:
    assert _level("Kunduz", "Qunduz") == "close"
    assert _level("Erbil", "Arbil") == "close"
    assert _level("Deir ez-Zor", "Dayr az Zawr") == "close"
    assert _level("Mazar-i-Sharif", "Mazari Sharif") == "close"
    assert _level("Homs", "Hama") == "differ"
    assert _level("Kabul", "Kunduz") == "differ"
    assert _level("Nyala", "Nador") == "differ"


def test_a_town_against_its_province_agrees_on_the_region_only() -> None:
    assert _level("Nangarhar province", "Jalalabad, Nangarhar") == "region"
    assert _level("Jaghori, Ghazni", "Ghazni") == "region"


def test_no_place_on_either_side_says_nothing() -> None:
    assert _level("Kabul", "") == "missing"
    assert birthplace_level(parse_birthplace({"place": "Kabul"}), ()) == "missing"
    # A place made only of words saying what kind of place it is names none.
    assert parse_birthplace({"place": "village, district"}) == ()
    assert parse_birthplace("Kabul") == () and parse_birthplace({"country": "AFG"}) == ()
