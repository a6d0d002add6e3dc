"""Spelling forms of a folded name token: what two spellings of one name have in common.

The phonetic form evens out English, French and German spelling conventions (equal forms count
as the same name); the consonant skeleton and the vowel-folded form let spellings that differ
in vowels, doubled letters and usual consonant pairs meet (they count as close); the skeletons
of a token are also the blocking keys that find candidates (`index`). No I/O, no state."""

from __future__ import annotations

import re

_SKELETON_DIGRAPHS = (
    # German transliteration of Arabic and Persian (Dschafari / Jafari, Tschador / Chador).
    ("dsch", "j"),
    ("tsch", "s"),
    ("sch", "s"),
    ("ph", "f"),
    ("kh", "k"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("sh", "s"),
    ("ch", "s"),
    ("dj", "j"),
    ("ck", "k"),
)
_SKELETON_MAP = str.maketrans({"q": "k", "c": "k", "z": "s", "x": "h", "v": "f"})
VOWELS = frozenset("aeiouyw")


def phonetic_form(form: str) -> str:
    """A light spelling-convention normalisation: equal forms are treated as equivalent."""
    # German writes English j, ch and sh as dsch, tsch and sch.
    out = form.replace("dsch", "j").replace("tsch", "ch").replace("sch", "sh")
    out = out.replace("ou", "u").replace("oo", "u").replace("ee", "i").replace("ph", "f")
    out = out.replace("dj", "j")
    # German and Scandinavian j before a vowel is the English y (Jussuf / Yusuf, Jahja / Yahya).
    out = re.sub("j(?=[aeiou])", "y", out)
    out = re.sub(r"(.)\1+", r"\1", out)
    return out[:-1] + "i" if out.endswith("y") and len(out) > 3 else out


def skeleton(form: str) -> str:
    """Consonant skeleton: first letter (vowels as 'a') plus consonants, doubles collapsed; a
    final h after a vowel is dropped (Kondeh / Conde, Hamzah / Hamza)."""
    if not form:
        return ""
    out = form[:-1] if len(form) > 3 and form[-1] == "h" and form[-2] in VOWELS else form
    for digraph, single in _SKELETON_DIGRAPHS:
        out = out.replace(digraph, single)
    out = out.translate(_SKELETON_MAP)
    head = "a" if out[0] in VOWELS else out[0]
    body = [ch for ch in out[1:] if ch not in VOWELS]
    result = head
    for ch in body:
        if ch != result[-1]:
            result += ch
    return result


def vowel_folded(form: str) -> str:
    """Every vowel as 'a', consonants as in the skeleton, runs collapsed: spellings that differ
    only in vowels and doubled letters meet (Kaita / Keyta, Conde / Konde)."""
    out = form
    for digraph, single in _SKELETON_DIGRAPHS:
        out = out.replace(digraph, single)
    out = "".join("a" if ch in VOWELS else ch for ch in out.translate(_SKELETON_MAP))
    return re.sub(r"(.)\1+", r"\1", out)


def _without_article(form: str) -> str | None:
    # A Latin spelling that glues the Arabic article on (Alamrani, Allobaidi, Elamrani).
    if form[:2] not in ("al", "el"):
        return None
    bare = form[3:] if form[2:3] == "l" else form[2:]
    return bare if len(bare) >= 4 else None


def somali_alternative(form: str) -> str | None:
    # Somali orthography writes ayn as c and h-dot as x (Cabdi, Maxamed).
    if "c" not in form and "x" not in form:
        return None
    return form.replace("x", "h").replace("c", "") or None


def make_skeletons(form: str, abjad: bool = False) -> frozenset[str]:
    """Skeletons of a folded token, with the Somali-orthography reading when it applies, the
    reading without a glued article, and for a token from Arabic script the reading with a
    leading vowel (an unwritten or ayn-carried first vowel: al-Amrani written alone is mrany)."""
    forms = [form]
    alt = somali_alternative(form)
    if alt:
        forms.append(alt)
    bare = _without_article(form)
    if bare:
        forms.append(bare)
    skeletons = {skeleton(f) for f in forms}
    if abjad and form[0] not in VOWELS:
        skeletons.add("a" + skeleton(form))
    return frozenset(skeletons)
