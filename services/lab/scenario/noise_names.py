"""Noisy renderings of a child's names, as different clerks, police officers and callers write them.

Every record draws its own noise: spelling variants, rule-based transliteration changes,
typos, compound and article handling, field swaps, truncated patronymic chains and the
script the names were written in.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .model import Child
from .names_data import ARABIC, ETHIOPIC, SOMALI, VARIANTS
from .origins import ORIGINS, Tradition
from .profiles import current


@dataclass(frozen=True)
class NoiseLevel:
    """How careful the record keeper was."""

    variant: float  # pick another known spelling
    rule: float  # apply a transliteration rule
    typo: float
    caps: float  # written in capitals
    swap: float  # given and family name swapped
    drop_family: float
    family_in_given: float
    native_only: float  # names written only in the native script
    with_original: float  # Latin names plus names_original_script
    father: float
    mother: float


GOOD = NoiseLevel(0.2, 0.04, 0.02, 0.05, 0.02, 0.02, 0.03, 0.0, 0.4, 0.35, 0.2)
NORMAL = NoiseLevel(0.35, 0.1, 0.05, 0.15, 0.08, 0.07, 0.07, 0.07, 0.25, 0.35, 0.2)
SIGHTING = NoiseLevel(0.45, 0.15, 0.08, 0.05, 0.05, 0.5, 0.03, 0.02, 0.03, 0.05, 0.02)

_KEYBOARD = {
    "a": "qsz",
    "b": "vn",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "h": "gj",
    "i": "uo",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "y": "tu",
    "z": "as",
}
_COMPOUND = re.compile(r"^(abdul|abdel|abd al-|abd el-|abd |abdul |abdel )(\w+)$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(al|el)[- ]", re.IGNORECASE)


def _recase(text: str) -> str:
    """Capitalise each word and each hyphenated part, as most forms do."""
    return " ".join("-".join(p[:1].upper() + p[1:] for p in w.split("-")) for w in text.split())


def _rule(rng: random.Random, name: str) -> str:
    low = name.lower()
    options = [(pat, rep) for pat, rep in current().rules if re.search(pat, low)]
    if not options:
        return name
    pat, rep = rng.choice(options)
    return _recase(re.sub(pat, rep, low, count=1))


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name
    i = rng.randint(1, len(name) - 2)
    kind = rng.random()
    if kind < 0.35 and name[i].isalpha() and name[i + 1].isalpha():
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind < 0.6:
        return name[:i] + name[i + 1 :]
    if kind < 0.8:
        return name[:i] + name[i] + name[i:]
    near = _KEYBOARD.get(name[i].lower())
    return name[:i] + rng.choice(near) + name[i + 1 :] if near else name


def _compound(rng: random.Random, name: str) -> str:
    """Split, join or re-article an Abd- compound (Abdulrahman / Abdul Rahman / Abd al-Rahman)."""
    m = _COMPOUND.match(name)
    # "Abdullah" is one word for "servant of God", not an Abd- compound to split.
    if not m or len(m.group(2)) < 4 or m.group(2).lower().startswith("lah"):
        return name
    rest = m.group(2).lower()
    return rng.choice(
        (
            f"Abdul{rest}",
            f"Abdul {rest.capitalize()}",
            f"Abd al-{rest.capitalize()}",
            f"Abdel{rest}",
            f"Abdel {rest.capitalize()}",
            f"Abd Al {rest.capitalize()}",
        )
    )


def _article(rng: random.Random, name: str) -> str:
    """Drop or rewrite a leading al-/el- article."""
    if not _ARTICLE.match(name):
        return name
    bare = _ARTICLE.sub("", name)
    return rng.choice((bare, f"Al {bare}", f"El-{bare}", f"Al{bare.lower()}", f"al-{bare}"))


def spell(rng: random.Random, canonical: str, origin: str, level: NoiseLevel) -> str:
    """One clerk's Latin spelling of a canonical name."""
    name = canonical
    profile = current()
    if origin == "SOM" and canonical in SOMALI and rng.random() < 0.35:
        name = SOMALI[canonical]
    elif canonical in VARIANTS and rng.random() < level.variant * profile.variant_factor:
        name = rng.choice(VARIANTS[canonical])
    if rng.random() < level.variant * 0.3:
        name = _compound(rng, name)
    if rng.random() < level.variant * 0.4:
        name = _article(rng, name)
    if rng.random() < level.rule * profile.rule_factor:
        name = _rule(rng, name)
    if rng.random() < level.typo:
        name = _typo(rng, name)
    return name


def _native(parts: list[str], script: str) -> str | None:
    table = ARABIC if script == "Arab" else ETHIOPIC
    forms = [table.get(p) for p in parts]
    if not forms or any(f is None for f in forms):
        return None
    return " ".join(f for f in forms if f)


def _parts(rng: random.Random, child: Child) -> tuple[list[str], list[str], list[str]]:
    """Canonical (given, family, other) parts as this record keeper structured them."""
    tradition = ORIGINS[child.origin].tradition
    given, family, other = [child.given], [], []
    if tradition is Tradition.PATRONYMIC:
        chain = [child.father, child.grandfather]
        roll = rng.random()
        if roll < 0.35:
            family = chain
        elif roll < 0.55:
            family, other = chain[:1], chain[1:]
        elif roll < 0.8:
            family = chain[:1]  # chain truncated to the father's name
        elif roll < 0.9:
            given = [child.given, *chain]
        else:
            given, family = [child.given, child.father], chain[1:]
    elif child.family is not None:
        family = [child.family]
    elif rng.random() < 0.25:
        family = [child.father]  # Afghan single name: the father's name taken as surname
    return given, family, other


def render_names(
    rng: random.Random, child: Child, level: NoiseLevel
) -> tuple[dict[str, object], str]:
    """The name fields of a Person and the script its names were written in."""
    origin = ORIGINS[child.origin]
    given, family, other = _parts(rng, child)
    roll = rng.random()
    if family and roll < level.drop_family:
        family = []
    elif family and roll < level.drop_family + level.family_in_given:
        given, family = given + family, []
    elif family and roll < level.drop_family + level.family_in_given + level.swap:
        given, family = family, given

    script = "Latn"
    fields: dict[str, object] = {}
    native_given = _native(given, origin.script) if origin.script else None
    native_family = _native(family, origin.script) if origin.script and family else None
    names_ok = native_given is not None and (not family or native_family is not None)
    roll = rng.random()
    if origin.script and names_ok and roll < level.native_only:
        script = origin.script
        fields["given_names"] = native_given
        fields["family_name"] = native_family
        fields["other_names"] = [n for n in (_native([o], origin.script) for o in other) if n]
    else:
        caps = rng.random() < level.caps
        given_text = " ".join(spell(rng, g, child.origin, level) for g in given)
        fields["given_names"] = _caps(given_text, caps)
        fields["family_name"] = (
            _caps(" ".join(spell(rng, f, child.origin, level) for f in family), caps)
            if family
            else None
        )
        fields["other_names"] = [spell(rng, o, child.origin, level) for o in other]
        if origin.script and names_ok and roll < level.native_only + level.with_original:
            original: dict[str, str] = {"script": origin.script, "given_names": native_given or ""}
            if native_family:
                original["family_name"] = native_family
            fields["names_original_script"] = original
    fields["father_name"] = (
        spell(rng, child.father, child.origin, level) if rng.random() < level.father else None
    )
    fields["mother_name"] = mother_name(rng, child, level) if rng.random() < level.mother else None
    return fields, script


def mother_name(rng: random.Random, child: Child, level: NoiseLevel) -> str:
    """The mother's forename, often with her own family name (as Interpol notices record it)."""
    name = spell(rng, child.mother, child.origin, level)
    if child.mother_family and rng.random() < 0.5:
        name += " " + spell(rng, child.mother_family, child.origin, level)
    return name


def _caps(text: str, caps: bool) -> str:
    return text.upper() if caps else text
