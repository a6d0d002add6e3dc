"""Places of birth two records give (SIS Art. 20(3)(f)), compared without a gazetteer.

A place is written as its source heard it: "Jalalabad, Nangarhar", "Djalalabad", "Nangarhar
province", "Mazar-e Sharif" or "Mazari Sharif". Each comma-separated part is folded as names
are (diacritics, other scripts, particles such as al-, -e-, -i- dropped, words glued), then
reduced to its phonetic form. The first part names the place itself, later parts the province
or country around it. Levels: "same" when the first parts agree; "close" when they are
spelled alike (one transliteration apart); "region" when only a province or district agrees
(one record wrote the town, the other its province); "differ" when both give a place and
nothing agrees (children also name where the family lived later: evidence against, never a
veto); "missing" otherwise. The country is not compared: "Mashhad, IRN" and "Mashhad" are one
place, and the nationality signal already weighs the country of origin. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

from services.correlator.domain.name_spelling import phonetic_form
from services.correlator.domain.names import folded_words, is_particle

# The place's parts, most specific first, each as its phonetic form.
Birthplace = tuple[str, ...]

BIRTHPLACE_LEVELS = ("same", "close", "region", "differ", "missing")
# Words that say what kind of place it is, not which (Nangarhar province, Homs governorate).
_KIND_WORDS = frozenset((
    "province", "provincia", "district", "city", "town", "village", "region", "state",
    "governorate", "gouvernorat", "wilaya", "wilayat", "velayat", "muhafazat", "zoba",
    "zone", "prefecture", "camp", "near", "of", "the",
))
# Connecting vowels of Persian and Arabic compounds written apart (Mazar-e Sharif).
_CONNECTORS = frozenset(("e", "i", "ye", "ul", "ol", "ez", "es", "ed", "en", "er"))
_SPELLED_ALIKE = 0.88
_VOWELS = re.compile("[aeiouyhw]")
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)
def _part_key(part: str) -> str:
    words = [
        w for w in folded_words(part)
        if w not in _KIND_WORDS and w not in _CONNECTORS and not is_particle(w)
    ]
    return phonetic_form("".join(words)) if words else ""


def parse_birthplace(value: object) -> Birthplace:
    """The keys of a Person's `place_of_birth.place`, or () when it gives none."""
    if not isinstance(value, dict) or not isinstance(value.get("place"), str):
        return ()
    keys = (_part_key(part) for part in value["place"].split(","))
    return tuple(key for key in keys if key)


@lru_cache(maxsize=65536)
def _skeleton(key: str) -> str:
    # Consonants in order, q as k, an opening vowel kept as one mark: Erbil / Arbil.
    head = "a" if key[0] in "aeiouy" else key[0].replace("q", "k")
    return head + _REPEATS.sub(r"\1", _VOWELS.sub("", key[1:].replace("q", "k")))


@lru_cache(maxsize=1 << 18)
def _alike(a: str, b: str) -> bool:
    """One spelling of a place apart: Kunduz / Kondoz / Qunduz, Herat / Hirat."""
    if a == b:
        return True
    if JaroWinkler.similarity(a, b, score_cutoff=_SPELLED_ALIKE):
        return True
    skeleton = _skeleton(a)
    return len(skeleton) >= 3 and skeleton == _skeleton(b)


def birthplace_level(a: Birthplace, b: Birthplace) -> str:
    """How the two records' places of birth compare: "missing" unless both give one."""
    if not a or not b:
        return "missing"
    if a[0] == b[0]:
        return "same"
    if _alike(a[0], b[0]):
        return "close"
    if any(x == y or _alike(x, y) for x in a for y in b):
        return "region"
    return "differ"
