"""Identity documents as evidence: the same number (however it is spaced or cased) is the same
document; one character apart on a long number is a misread; another number of the same kind
from the same country is evidence against; documents of different countries or kinds, or none
on one side, say nothing."""

from __future__ import annotations

from services.correlator.domain.documents import document_level, parse_documents


def _docs(*items: tuple[str, str, str]) -> tuple[tuple[str, str, str], ...]:
    return parse_documents(
        [{"type": kind, "number": number, "issuing_country": country}
         for kind, number, country in items]
    )


def test_one_number_written_two_ways_is_the_same_document() -> None:
    a = _docs(("passport", "P 1234-5678", "AFG"))
    b = _docs(("passport", "p12345678", "AFG"))
    assert document_level(a, b) == "same"
    # A record that left the country out still names the same document.
    no_country = parse_documents([{"type": "passport", "number": "P12345678"}])
    assert document_level(a, no_country) == "same"


def test_a_long_number_one_character_apart_is_a_misread_and_a_short_one_is_not() -> None:
    a = _docs(("national_id", "4471029386", "ERI"))
    assert document_level(a, _docs(("national_id", "4471029836", "ERI"))) == "misread"  # swap
    assert document_level(a, _docs(("national_id", "4471029381", "ERI"))) == "misread"
    assert document_level(a, _docs(("national_id", "5582130497", "ERI"))) == "differ"
    short = _docs(("national_id", "12345", "ERI"))
    assert document_level(short, _docs(("national_id", "12346", "ERI"))) == "differ"


def test_other_countries_other_kinds_or_no_document_say_nothing() -> None:
    a = _docs(("passport", "P12345678", "AFG"))
    assert document_level(a, _docs(("passport", "P87654321", "IRN"))) == "missing"
    assert document_level(a, _docs(("national_id", "99887766", "AFG"))) == "missing"
    assert document_level(a, ()) == "missing" and document_level((), a) == "missing"


def test_unusable_entries_are_ignored() -> None:
    assert parse_documents("P123") == ()
    assert parse_documents([{"type": "passport"}, {"number": 12345678}, {"number": "--"}]) == ()
