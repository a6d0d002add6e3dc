"""Distinguishing marks two records describe (SIS Art. 20(3)(e)): scars, burns, birthmarks,
moles (one kind with birthmarks), tattoos, missing teeth, as free text in English, French or
German ("scar above left eyebrow", "small scar on forehead, left side", "cicatrice joue
gauche").

Each description is read for what kind of mark it is, where on the body and on which side. Two
marks "agree" when they are of one kind on one part of the body, or on neighbouring parts (the
forehead and the eyebrow), and their sides do not contradict; "partial" when of one kind in one
region only (the face, an arm, a hand, a leg, the trunk), or on one part with the sides swapped
(the observer's left is the child's right), or when one description does not say where.
"differ" when both records describe marks and none of them meet: weak evidence against, since a
record rarely lists every mark; "missing" when either describes none it can read. Pure
functions, no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache

from services.correlator.domain.names import fold

# (kind, part or "", side or "")
Mark = tuple[str, str, str]

MARK_LEVELS = ("agree", "partial", "differ", "missing")

_KINDS = {
    "scar": "scar", "scars": "scar", "scarred": "scar", "cicatrice": "scar", "narbe": "scar",
    "burn": "burn", "burns": "burn", "burnt": "burn", "burned": "burn", "brulure": "burn",
    "verbrennung": "burn", "brandnarbe": "burn",
    "birthmark": "birthmark", "naevus": "birthmark", "muttermal": "birthmark",
    # A mole and a birthmark are one dark spot to most describers.
    "mole": "birthmark", "grain": "birthmark", "leberfleck": "birthmark",
    "tattoo": "tattoo", "tatouage": "tattoo", "tatowierung": "tattoo",
    "tooth": "missing_tooth", "teeth": "missing_tooth", "dent": "missing_tooth",
    "zahn": "missing_tooth", "zahnlucke": "missing_tooth",
}
# Part of the body, and the region it belongs to.
_PARTS = {
    "forehead": "forehead", "front": "forehead", "stirn": "forehead",
    "eyebrow": "eyebrow", "sourcil": "eyebrow", "augenbraue": "eyebrow",
    "eye": "eye", "oeil": "eye", "auge": "eye",
    "cheek": "cheek", "joue": "cheek", "wange": "cheek",
    "chin": "chin", "menton": "chin", "kinn": "chin",
    "lip": "lip", "levre": "lip", "lippe": "lip", "mouth": "lip",
    "nose": "nose", "nez": "nose", "nase": "nose",
    "ear": "ear", "oreille": "ear", "ohr": "ear",
    "neck": "neck", "cou": "neck", "hals": "neck",
    "arm": "arm", "bras": "arm", "upperarm": "arm", "oberarm": "arm",
    "forearm": "forearm", "avantbras": "forearm", "unterarm": "forearm",
    "elbow": "elbow", "coude": "elbow", "ellbogen": "elbow",
    "wrist": "wrist", "poignet": "wrist", "handgelenk": "wrist",
    "hand": "hand", "main": "hand",
    "finger": "finger", "doigt": "finger",
    "shoulder": "shoulder", "epaule": "shoulder", "schulter": "shoulder",
    "chest": "chest", "poitrine": "chest", "brust": "chest",
    "back": "back", "dos": "back", "rucken": "back",
    "stomach": "belly", "belly": "belly", "abdomen": "belly", "ventre": "belly", "bauch": "belly",
    "leg": "leg", "jambe": "leg", "bein": "leg", "thigh": "leg", "cuisse": "leg",
    "knee": "knee", "genou": "knee", "knie": "knee",
    "foot": "foot", "pied": "foot", "fuss": "foot", "ankle": "foot", "cheville": "foot",
    "head": "head", "tete": "head", "kopf": "head", "scalp": "head",
}
_REGION = {
    "forehead": "face", "eyebrow": "face", "eye": "face", "cheek": "face", "chin": "face",
    "lip": "face", "nose": "face", "ear": "face", "head": "face", "teeth": "face",
    "arm": "arm", "forearm": "arm", "elbow": "arm", "shoulder": "arm",
    "wrist": "hand", "hand": "hand", "finger": "hand",
    "neck": "trunk", "chest": "trunk", "back": "trunk", "belly": "trunk",
    "leg": "leg", "knee": "leg", "foot": "leg",
}
# Parts a describer easily takes one for the other.
_NEIGHBOURS = frozenset(map(frozenset, (
    ("forehead", "eyebrow"), ("eyebrow", "eye"), ("cheek", "eye"), ("cheek", "chin"),
    ("lip", "chin"), ("forehead", "head"), ("arm", "forearm"), ("forearm", "elbow"),
    ("forearm", "wrist"), ("wrist", "hand"), ("hand", "finger"), ("arm", "shoulder"),
    ("leg", "knee"), ("knee", "foot"), ("chest", "belly"), ("neck", "chest"),
)))
_SIDES = {
    "left": "left", "gauche": "left", "links": "left", "linken": "left", "linke": "left",
    "linker": "left", "right": "right", "droite": "right", "droit": "right", "rechts": "right",
    "rechten": "right", "rechte": "right", "rechter": "right",
}
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=16384)
def _read(text: str) -> tuple[Mark, ...]:
    """The marks one description names: a new mark starts at each kind word, and takes the
    part and side said before it ("left cheek scar") or after it ("scar on the left cheek")."""
    marks: list[list[str]] = []
    pending = ["", ""]  # part, side said before the next kind word
    after_kind = False
    for word in _WORD.findall(fold(text).replace("-", "")):
        if word in _KINDS:
            if not after_kind:  # "burn scar" is one mark, a burn
                kind = _KINDS[word]
                part = "teeth" if kind == "missing_tooth" else pending[0]
                marks.append([kind, part, pending[1]])
                pending = ["", ""]
            after_kind = True
            continue
        after_kind = False
        slot = 1 if word in _PARTS else 2 if word in _SIDES else 0
        if not slot:
            continue
        value = _PARTS[word] if slot == 1 else _SIDES[word]
        if marks and not marks[-1][slot] and not pending[slot - 1]:
            marks[-1][slot] = value
        else:
            pending[slot - 1] = value
    return tuple((kind, where, hand) for kind, where, hand in marks)


def parse_marks(value: object) -> tuple[Mark, ...]:
    """The marks a Person's `distinguishing_marks` describe in words this module reads."""
    if not isinstance(value, list):
        return ()
    found: set[Mark] = set()
    for item in value:
        if isinstance(item, str):
            found.update(_read(item))
    return tuple(sorted(found))


def _pair_level(a: Mark, b: Mark) -> str | None:
    if a[0] != b[0]:
        return None
    if not a[1] or not b[1]:
        return "partial"
    sides_agree = not a[2] or not b[2] or a[2] == b[2]
    if a[1] == b[1] or frozenset((a[1], b[1])) in _NEIGHBOURS:
        return "agree" if sides_agree else "partial"
    if _REGION[a[1]] == _REGION[b[1]]:
        return "partial"
    return None


def marks_level(a: tuple[Mark, ...], b: tuple[Mark, ...]) -> str:
    """How the two records' marks compare: "missing" unless both describe one."""
    if not a or not b:
        return "missing"
    best = "differ"
    for x in a:
        for y in b:
            level = _pair_level(x, y)
            if level == "agree":
                return "agree"
            if level == "partial":
                best = "partial"
    return best
