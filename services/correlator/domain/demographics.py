"""Sex, nationality and language evidence: cheap signals with known confusions.

The sets a comparison reads (nationalities, the confusion groups they fall in, language
families) are built once per record (`Demographics`, kept in the record's features), not once
per compared pair; `compare_nationalities` and `compare_languages` give the same levels from
the raw codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

SEX_LEVELS = ("agree", "disagree", "missing")
NATIONALITY_LEVELS = ("agree", "confusable", "disagree", "missing")
LANGUAGE_LEVELS = ("agree", "disagree", "missing")

# Declared nationality is noisy between neighbours and shared ethnic groups.
_CONFUSED = (
    {"AFG", "IRN", "PAK"},
    {"ERI", "ETH"},
    {"SDN", "TCD", "SSD"},
    {"SYR", "IRQ", "PSE", "LBN", "JOR"},
    {"SOM", "ETH", "KEN", "DJI"},
    {"GIN", "SEN", "MLI", "CIV", "GMB", "SLE", "GNB"},
    {"MAR", "DZA", "TUN", "LBY"},
    {"BGD", "IND", "PAK"},
)
# Macro-language members that records mix up (Arabic varieties, Persian varieties).
_LANGUAGE_FAMILY = {
    "ara": "ara",
    "arb": "ara",
    "apd": "ara",
    "ary": "ara",
    "arz": "ara",
    "apc": "ara",
    "acm": "ara",
    "ayl": "ara",
    "aeb": "ara",
    "arq": "ara",
    "fas": "fas",
    "pes": "fas",
    "prs": "fas",
    "tgk": "fas",
    "haz": "fas",
    "pus": "pus",
    "pbu": "pus",
    "pst": "pus",
    "som": "som",
    "tir": "tir",
    "amh": "amh",
    "orm": "orm",
    "gaz": "orm",
    "kur": "kur",
    "ckb": "kur",
    "kmr": "kur",
    "ful": "ful",
    "fuf": "ful",
    "ffm": "ful",
}


@dataclass(frozen=True, slots=True)
class Demographics:
    """What nationality and language comparisons read of one record."""

    nationalities: frozenset[str]
    confusions: frozenset[int]  # indexes in `_CONFUSED` of the groups its nationalities are in
    languages: frozenset[str]  # language families


# Records share a few combinations of codes: one object per combination keeps a million
# alerts from holding three sets each.
@lru_cache(maxsize=65536)
def demographics(nationalities: tuple[str, ...], languages: tuple[str, ...]) -> Demographics:
    codes = frozenset(nationalities)
    return Demographics(
        codes,
        frozenset(i for i, group in enumerate(_CONFUSED) if group & codes),
        frozenset(_families(languages)),
    )


def nationality_level(a: Demographics, b: Demographics) -> str:
    """`compare_nationalities` of the two records' nationalities."""
    if not a.nationalities or not b.nationalities:
        return "missing"
    if a.nationalities & b.nationalities:
        return "agree"
    # Confusable when one group holds a nationality of each record.
    return "confusable" if a.confusions & b.confusions else "disagree"


def language_level(a: Demographics, b: Demographics) -> str:
    """`compare_languages` of the two records' languages."""
    if not a.languages or not b.languages:
        return "missing"
    return "agree" if a.languages & b.languages else "disagree"


def compare_sex(a: str, b: str) -> str:
    if a == "unknown" or b == "unknown":
        return "missing"
    return "agree" if a == b else "disagree"


def compare_nationalities(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    """The nationality level of two records' codes (built per call: tests, one-off checks)."""
    return nationality_level(demographics(a, ()), demographics(b, ()))


def _families(codes: tuple[str, ...]) -> set[str]:
    return {_LANGUAGE_FAMILY.get(code, code) for code in codes}


def compare_languages(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    """The language level of two records' codes (built per call: tests, one-off checks)."""
    return language_level(demographics((), a), demographics((), b))
