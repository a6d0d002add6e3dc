"""Distinguishing marks in the scenario: some children carry one or two (a scar, a burn, a
birthmark, a tattoo, a missing tooth) on some part of the body and side, and a record keeper
describes those they noticed, in their own words and language: a part named loosely (the face
for the cheek), the side taken from the observer's view now and then, one of two marks left
out. Each draw has a generator of its own, seeded by scenario, child and record, so the rest of
a scenario is the same as without marks.
"""

from __future__ import annotations

import random

from .model import Child
from .profiles import current

_KINDS = (("scar", 50), ("burn", 12), ("birthmark", 18), ("missing_tooth", 10), ("tattoo", 5))
_PARTS = (
    ("forehead", "face", True), ("eyebrow", "face", True), ("cheek", "face", True),
    ("chin", "face", False), ("lip", "face", False), ("ear", "face", True),
    ("neck", "trunk", False), ("hand", "hand", True), ("finger", "hand", True),
    ("forearm", "arm", True), ("arm", "arm", True), ("shoulder", "arm", True),
    ("chest", "trunk", False), ("back", "trunk", False), ("leg", "leg", True),
    ("knee", "leg", True), ("foot", "leg", True),
)
_VISIBLE = frozenset(("face", "hand"))
# Words per language: kind, part, side.
_WORDS = {
    "en": {
        "scar": "scar", "burn": "burn scar", "birthmark": "birthmark",
        "missing_tooth": "missing front tooth", "tattoo": "tattoo",
        "left": "left", "right": "right", "face": "face",
    },
    "fr": {
        "scar": "cicatrice", "burn": "brûlure", "birthmark": "tache de naissance (naevus)",
        "missing_tooth": "dent manquante", "tattoo": "tatouage", "left": "gauche",
        "right": "droite", "face": "visage", "forehead": "front", "eyebrow": "sourcil",
        "cheek": "joue", "chin": "menton", "lip": "lèvre", "ear": "oreille", "neck": "cou",
        "hand": "main", "finger": "doigt", "forearm": "avant-bras", "arm": "bras",
        "shoulder": "épaule", "chest": "poitrine", "back": "dos", "leg": "jambe",
        "knee": "genou", "foot": "pied",
    },
    "de": {
        "scar": "Narbe", "burn": "Brandnarbe", "birthmark": "Muttermal",
        "missing_tooth": "Zahnlücke", "tattoo": "Tätowierung", "left": "links",
        "right": "rechts", "face": "Gesicht", "forehead": "Stirn", "eyebrow": "Augenbraue",
        "cheek": "Wange", "chin": "Kinn", "lip": "Lippe", "ear": "Ohr", "neck": "Hals",
        "hand": "Hand", "finger": "Finger", "forearm": "Unterarm", "arm": "Arm",
        "shoulder": "Schulter", "chest": "Brust", "back": "Rücken", "leg": "Bein",
        "knee": "Knie", "foot": "Fuß",
    },
}

# A child's mark: kind, part, region, side ("" when the part has none).
_Mark = tuple[str, str, str, str]


def _marks(seed: int, child: Child) -> list[_Mark]:
    rng = random.Random(f"marks/{seed}/{child.child_id}")
    if rng.random() >= current().marks_carried:
        return []
    out: list[_Mark] = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        kind = rng.choices([k for k, _ in _KINDS], [w for _, w in _KINDS])[0]
        if kind == "missing_tooth":
            out.append((kind, "", "face", ""))
            continue
        part, region, sided = rng.choice(_PARTS)
        out.append((kind, part, region, rng.choice(("left", "right")) if sided else ""))
    return out


def _described(rng: random.Random, mark: _Mark) -> str:
    """One keeper's words for a mark."""
    kind, part, region, side = mark
    language = "en" if rng.random() >= current().marks_foreign else rng.choice(("fr", "de"))
    words = _WORDS[language]
    if kind == "missing_tooth":
        return words[kind]
    if side and rng.random() < 0.1:  # the observer's left
        side = "right" if side == "left" else "left"
    if region == "face" and rng.random() < 0.2:
        part, side = "face", ""
    if side and rng.random() < 0.15:
        side = ""
    where = words.get(part, part)
    said_side = words[side] if side else ""
    if language == "en":
        small = "small " if rng.random() < 0.3 else ""
        if rng.random() < 0.5:
            return f"{small}{words[kind]} on {said_side + ' ' if side else ''}{where}"
        return f"{small}{words[kind]}, {where}{', ' + said_side + ' side' if side else ''}"
    return f"{words[kind]} {where}{' ' + said_side if side else ''}"


def recorded_marks(seed: int, child: Child, record_id: str, share: float, *,
                   visible_only: bool = False) -> list[str]:
    """The marks a record of the child describes (`share` of its keepers look; a passer-by
    sees only the face and hands)."""
    marks = _marks(seed, child)
    if visible_only:
        marks = [m for m in marks if m[2] in _VISIBLE]
    if not marks:
        return []
    rng = random.Random(f"marks/{seed}/{record_id}")
    if rng.random() >= share:
        return []
    if len(marks) > 1 and rng.random() < 0.3:
        marks = [rng.choice(marks)]
    return [_described(rng, mark) for mark in marks]
