"""Birth evidence: partial dates, placeholders, swapped day/month and age ranges as intervals.

Each record yields an interval of possible birth dates (in fractional years) and whether it is a
trustworthy exact date.  1 January is read as a likely placeholder even when labelled exact.
Age ranges are turned into birth intervals at the record's own time, widened because age
assessments err by years (more often upward for older teenagers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.correlator.domain.model import Person

BIRTH_LEVELS = ("exact", "within_year", "compatible", "mild_conflict", "strong_conflict", "missing")
_ASSESSMENT_SLACK = 1.0
_OLDER_TEEN_EXTRA = 1.0


@dataclass(frozen=True, slots=True)
class BirthInfo:
    low: float  # earliest plausible birth, fractional year
    high: float  # latest plausible birth
    exact: tuple[int, int, int] | None  # a trustworthy full date


def _year_fraction(moment: datetime) -> float:
    return moment.year + (moment.timetuple().tm_yday - 1) / 365.25


def birth_info(person: Person, at: datetime | None) -> BirthInfo | None:
    """The birth interval of a record, or None when it says nothing usable."""
    kind = person.date_of_birth_kind
    dob = person.date_of_birth
    if dob and kind != "unknown":
        parts = dob.split("-")
        try:
            year = int(parts[0])
            month = int(parts[1]) if len(parts) > 1 else None
            day = int(parts[2]) if len(parts) > 2 else None
        except ValueError:
            year, month, day = 0, None, None
        if 1900 < year < 2100:
            placeholder = kind == "placeholder" or (month == 1 and day == 1)
            if kind == "exact" and month and day and not placeholder:
                point = year + (month - 1) / 12 + (day - 1) / 365.25
                return BirthInfo(point - 0.01, point + 0.01, (year, month, day))
            if placeholder or month is None:
                spread = 1.0 if kind in ("estimated", "placeholder") or placeholder else 0.0
                return BirthInfo(year - spread, year + 1 + spread, None)
            point = year + (month - 1) / 12
            spread = 1.0 if kind == "estimated" else 1 / 12
            return BirthInfo(point - spread, point + spread + 1 / 12, None)
    if person.age_min is not None and person.age_max is not None and at is not None:
        now = _year_fraction(at)
        extra = _OLDER_TEEN_EXTRA if person.age_max >= 15 else 0.0
        return BirthInfo(
            now - person.age_max - 1 - _ASSESSMENT_SLACK - extra,
            now - person.age_min + _ASSESSMENT_SLACK,
            None,
        )
    return None


def compare_birth(a: BirthInfo | None, b: BirthInfo | None) -> str:
    if a is None or b is None:
        return "missing"
    if a.exact is not None and b.exact is not None:
        ya, ma, da = a.exact
        yb, mb, db = b.exact
        if a.exact == b.exact or (ya == yb and ma == db and da == mb):
            return "exact"
        # Two documented dates that differ: a typo at most, otherwise different children.
        difference = abs(a.low - b.low)
        if difference <= 0.1:
            return "within_year"
        return "compatible" if difference <= 1.1 else "strong_conflict"
    gap = max(a.low - b.high, b.low - a.high, 0.0)
    width = max(a.high - a.low, b.high - b.low)
    if gap == 0.0:
        return "within_year" if width <= 2.01 else "compatible"
    if gap <= 1.0:
        return "compatible"
    if gap <= 3.0:
        return "mild_conflict"
    return "strong_conflict"


def birth_year_band(info: BirthInfo | None, band: int = 3) -> tuple[int, ...]:
    """Birth-year bands (of `band` years) the interval touches, for blocking."""
    if info is None:
        return ()
    first, last = int(info.low) // band, int(info.high) // band
    return tuple(range(first, last + 1))
