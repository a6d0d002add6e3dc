"""Identity documents two records name (SIS Art. 20(3)(o)): a passport or national identity card
number both records carry is the same child; one character apart, a misread number; two
different numbers of one kind of document from one country, evidence against (a renewed
passport, a second card: never a veto). Pure functions, no I/O.
"""

from __future__ import annotations

from rapidfuzz.distance import DamerauLevenshtein

# (issuing country, document type, number in capitals without spaces or punctuation)
Document = tuple[str, str, str]

DOCUMENT_LEVELS = ("same", "misread", "differ", "missing")
# Shorter numbers one character apart are too often two documents.
_MISREAD_MIN_LENGTH = 6


def normalised_number(number: str) -> str:
    """Capitals, letters and digits only: "P 12-345 678" and "p12345678" are one number."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def parse_documents(value: object) -> tuple[Document, ...]:
    """The documents of a Person's `identity_documents` with a usable number."""
    if not isinstance(value, list):
        return ()
    out: list[Document] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("number"), str):
            continue
        number = normalised_number(item["number"])
        if len(number) < 4:
            continue
        country = item.get("issuing_country")
        kind = item.get("type")
        out.append((
            country.upper() if isinstance(country, str) else "",
            kind if isinstance(kind, str) else "",
            number,
        ))
    return tuple(sorted(set(out)))


def _same_issuer(a: Document, b: Document) -> bool:
    # A record that left the country or the type out may still name the same document.
    return (not a[0] or not b[0] or a[0] == b[0]) and (not a[1] or not b[1] or a[1] == b[1])


def document_level(a: tuple[Document, ...], b: tuple[Document, ...]) -> str:
    """How the two records' documents compare: "missing" unless both name one of a kind."""
    if not a or not b:
        return "missing"
    comparable = False
    misread = False
    for x in a:
        for y in b:
            if not _same_issuer(x, y):
                continue
            if x[2] == y[2]:
                return "same"
            comparable = True
            if (
                min(len(x[2]), len(y[2])) >= _MISREAD_MIN_LENGTH
                and DamerauLevenshtein.distance(x[2], y[2], score_cutoff=1) <= 1
            ):
                misread = True
    if misread:
        return "misread"
    return "differ" if comparable else "missing"
