"""Noisy Person records: birth data, sex, nationality and languages on top of the names.

Birth data follow registration practice: exact dates, year only, 1 January placeholders
(sometimes labelled exact), day/month swaps, age assessments that err by years (more often
upward for older teenagers), or nothing. Sightings carry a visual age estimate at most.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from .model import Child
from .noise_names import GOOD, SIGHTING, NoiseLevel, render_names
from .origins import ORIGINS
from .profiles import current


def age_at(dob: date, when: datetime) -> float:
    """Age in years (fractional) at a moment."""
    return (when.date() - dob).days / 365.25


def _assessed_age(rng: random.Random, true_age: float) -> int:
    """An age assessment's single figure; errs by years, upward more often for older teens."""
    errors = (-1, 0, 1, 1, 2, 2, 3) if true_age >= 15 else (-2, -1, -1, 0, 0, 1, 2)
    return max(int(true_age) + rng.choice(errors), 1)


def _birth(
    rng: random.Random, dob: date, when: datetime, careful: bool
) -> tuple[str | None, str, dict[str, int] | None]:
    """(date_of_birth, date_of_birth_kind, age_range) as written by a registering clerk."""
    profile = current()
    weights = profile.birth_careful if careful else profile.birth_normal
    kind = rng.choices(
        ("exact", "placeholder", "placeholder_exact", "year", "swap", "assessed", "missing"),
        weights,
    )[0]
    year_err = rng.choice((0, 0, 0, -1, 1))
    if kind == "exact":
        return dob.isoformat(), "exact", None
    if kind in ("placeholder", "placeholder_exact"):
        label = "placeholder" if kind == "placeholder" else "exact"
        return f"{dob.year + year_err:04d}-01-01", label, None
    if kind == "year":
        return f"{dob.year + year_err:04d}", "estimated", None
    if kind == "swap":
        if dob.day <= 12 and dob.day != dob.month:
            return f"{dob.year:04d}-{dob.day:02d}-{dob.month:02d}", "exact", None
        return dob.isoformat(), "exact", None
    if kind == "missing":
        return None, "unknown", None
    assessed = _assessed_age(rng, age_at(dob, when))
    span = rng.choice((0, 1, 1, 2))
    age_range = {"min": min(max(assessed - span, 0), 25), "max": min(assessed + span, 25)}
    # Benefit of the doubt: the estimated birth year follows the lowest age in the range.
    roll = rng.random()
    if roll < 0.45:
        return f"{when.year - age_range['min']:04d}", "estimated", age_range
    if roll < 0.7:
        return f"{when.year - age_range['min']:04d}-01-01", "placeholder", age_range
    return None, "unknown", age_range


def _visual_age(rng: random.Random, dob: date, when: datetime) -> dict[str, int]:
    centre = round(age_at(dob, when) + rng.gauss(0.3, 1.4))
    low, high = rng.choice(((1, 1), (2, 1), (1, 2), (2, 2), (0, 2)))
    return {"min": min(max(centre - low, 0), 25), "max": min(max(centre + high, 0), 25)}


def _nationalities(rng: random.Random, child: Child, sighting: bool) -> list[str]:
    origin = ORIGINS[child.origin]
    if sighting and rng.random() < 0.6:
        return []
    roll = rng.random()
    if roll < 0.1:
        return [rng.choice(origin.confused_with)]
    if roll < 0.13:
        return [child.origin, rng.choice(origin.confused_with)]
    if roll < 0.16:
        return []
    return [child.origin]


def _languages(rng: random.Random, child: Child, sighting: bool) -> list[str]:
    if sighting and rng.random() < 0.55:
        return []
    roll = rng.random()
    if roll < 0.08:
        return []
    if roll < 0.15:
        return list(child.languages[:1])
    if roll < 0.2 and child.languages[0] in ("apd", "apc", "acm", "ary"):
        return ["ara"]  # the macrolanguage instead of the spoken variety
    return list(child.languages)


def render_person(
    rng: random.Random, child: Child, when: datetime, level: NoiseLevel, alias_rate: float = 0.0
) -> tuple[dict[str, Any], str]:
    """A full Person as one record keeper wrote it at `when`, and the script of its names."""
    shown = child
    if alias_rate and rng.random() < alias_rate:
        # Some children deliberately give another first name.
        origin = ORIGINS[child.origin]
        pool = origin.male if child.sex == "male" else origin.female
        shown = Child(**{**child.__dict__, "given": rng.choice(pool)})
    names, script = render_names(rng, shown, level)
    sighting = level is SIGHTING
    person: dict[str, Any] = dict(names)
    sex_known = 0.85 if sighting else 0.96
    person["sex"] = child.sex if rng.random() < sex_known else "unknown"
    if sighting:
        if rng.random() < 0.15:
            person["date_of_birth"] = f"{child.dob.year + rng.choice((-1, 0, 0, 1)):04d}"
            person["date_of_birth_kind"] = "estimated"
        else:
            person["date_of_birth"] = None
            person["date_of_birth_kind"] = "unknown"
        person["age_range"] = _visual_age(rng, child.dob, when) if rng.random() < 0.9 else None
    else:
        dob, kind, age_range = _birth(rng, child.dob, when, careful=level is GOOD)
        person["date_of_birth"] = dob
        person["date_of_birth_kind"] = kind
        person["age_range"] = age_range
    person["nationalities"] = _nationalities(rng, child, sighting)
    person["languages"] = _languages(rng, child, sighting)
    return person, script


def sparse_sighting(rng: random.Random, child: Child, when: datetime) -> dict[str, Any]:
    """A sighting that carries nothing but a rough age and perhaps the sex."""
    return {
        "given_names": "",
        "family_name": None,
        "other_names": [],
        "father_name": None,
        "mother_name": None,
        "sex": child.sex if rng.random() < 0.6 else "unknown",
        "date_of_birth": None,
        "date_of_birth_kind": "unknown",
        "age_range": _visual_age(rng, child.dob, when),
        "nationalities": [],
        "languages": [],
    }
