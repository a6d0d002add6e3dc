"""Noise models of the scenario generator: the default one and a deliberately different one.

A matcher tuned to one generator's habits learns the generator, not the task. The second
model, "other", changes what the default takes for granted: transliteration follows French
and German habits instead of English ones, placeholders and assessed ages are far more common,
routes are mixed differently and stays are shorter, and more children who never get an alert
share the most common names. The bench reports both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

# English-style romanisation habits (the default model).
ROUTES_RULES: tuple[tuple[str, str], ...] = (
    ("ou", "u"),
    ("u", "ou"),
    ("ee", "i"),
    ("i", "ee"),
    ("kh", "h"),
    ("q", "k"),
    ("y$", "i"),
    ("i$", "y"),
    ("dj", "j"),
    ("j", "dj"),
    ("sh", "ch"),
    ("dh", "d"),
    ("th", "t"),
    ("w", "ou"),
    ("a$", "ah"),
    ("e", "a"),
    ("o", "u"),
    ("([bdfgklmnprstz])\\1", "\\1"),
    ("([aeiou])([mnlrsdt])([aeiou])", "\\1\\2\\2\\3"),
)
# French and German clerks: ou for u, ch/sch for sh, dj/dsch for j, j for y, final -e.
OTHER_RULES: tuple[tuple[str, str], ...] = (
    ("u", "ou"),
    ("sh", "ch"),
    ("sh", "sch"),
    ("j", "dj"),
    ("j", "dsch"),
    ("^y", "j"),
    ("y", "j"),
    ("kh", "ch"),
    ("w", "v"),
    ("q", "k"),
    ("([^e])$", "\\1e"),
    ("ee", "i"),
    ("a", "e"),
    ("i", "ie"),
    ("h$", ""),
    ("([bdfgklmnprstz])\\1", "\\1"),
    ("c", "k"),
)


@dataclass(frozen=True)
class NoiseProfile:
    name: str
    rules: tuple[tuple[str, str], ...]
    rule_factor: float = 1.0  # multiplies every record keeper's transliteration-rule rate
    variant_factor: float = 1.0
    # Weights of (exact, placeholder, placeholder labelled exact, year, swap, assessed, missing)
    birth_careful: tuple[int, ...] = (45, 18, 5, 14, 5, 10, 3)
    birth_normal: tuple[int, ...] = (28, 18, 7, 13, 7, 15, 12)
    sparse_sighting: float = 0.12
    zipf_exponent: float = 1.0
    route_bias: dict[str, float] = field(default_factory=dict)
    stay_factor: float = 1.0
    alert_fraction: float = 0.4
    # Identity documents: the share of children holding one, the share of registrations that
    # list it (at the careful centre behind an alert, elsewhere), and of numbers misread.
    document_holders: float = 0.3
    document_recorded_careful: float = 0.7
    document_recorded: float = 0.45
    document_misread: float = 0.06
    # Places of birth: the share of records giving one (the careful centre behind an alert,
    # other centres, full sightings; an alert's issuer adding one the centre did not write),
    # of places written as the province only or with the province after the town, of children
    # naming another place, and of the usual spelling among a place's spellings.
    birthplace_recorded_careful: float = 0.7
    birthplace_recorded: float = 0.5
    birthplace_sighting: float = 0.06
    birthplace_alert_added: float = 0.5
    birthplace_province_only: float = 0.12
    birthplace_with_province: float = 0.35
    birthplace_misstated: float = 0.05
    birthplace_first_spelling: float = 0.6
    # Heights: the share of records giving one (measured at the careful centre, measured or
    # guessed elsewhere, told by the family to the alert's issuer, guessed in full sightings),
    # and of heights with a digit typed wrong.
    height_measured_careful: float = 0.55
    height_recorded: float = 0.35
    height_alert_added: float = 0.5
    height_sighting: float = 0.12
    height_typo: float = 0.02
    # Distinguishing marks: the share of children carrying one or two, of records describing
    # them (the careful centre, other centres, the alert's issuer told by the family, full
    # sightings: face and hands only), and of descriptions in French or German.
    marks_carried: float = 0.35
    marks_recorded_careful: float = 0.6
    marks_recorded: float = 0.35
    marks_alert_added: float = 0.6
    marks_sighting: float = 0.1
    marks_foreign: float = 0.1


PROFILES: dict[str, NoiseProfile] = {
    "routes": NoiseProfile("routes", ROUTES_RULES),
    "other": NoiseProfile(
        "other",
        OTHER_RULES,
        rule_factor=2.0,
        variant_factor=0.8,
        birth_careful=(25, 30, 12, 10, 6, 14, 3),
        birth_normal=(15, 28, 12, 10, 8, 17, 10),
        sparse_sighting=0.08,
        zipf_exponent=1.35,
        route_bias={"western": 2.5, "central": 1.5, "balkans": 0.6},
        stay_factor=0.6,
        alert_fraction=0.3,
        document_holders=0.2,
        document_recorded_careful=0.55,
        document_recorded=0.35,
        document_misread=0.1,
        birthplace_recorded_careful=0.55,
        birthplace_recorded=0.35,
        birthplace_sighting=0.04,
        birthplace_alert_added=0.4,
        birthplace_province_only=0.22,
        birthplace_with_province=0.25,
        birthplace_misstated=0.08,
        birthplace_first_spelling=0.35,
        height_measured_careful=0.4,
        height_recorded=0.25,
        height_alert_added=0.4,
        height_sighting=0.08,
        height_typo=0.04,
        marks_carried=0.3,
        marks_recorded_careful=0.45,
        marks_recorded=0.25,
        marks_alert_added=0.5,
        marks_sighting=0.06,
        marks_foreign=0.45,
    ),
}
_CURRENT: ContextVar[NoiseProfile] = ContextVar("noise_profile", default=PROFILES["routes"])


def current() -> NoiseProfile:
    """The noise model of the scenario being generated."""
    return _CURRENT.get()


@contextmanager
def using(name: str) -> Iterator[NoiseProfile]:
    """Generate with the named noise model inside the block."""
    profile = PROFILES[name]
    token = _CURRENT.set(profile)
    try:
        yield profile
    finally:
        _CURRENT.reset(token)
