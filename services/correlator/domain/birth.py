"""Birth evidence: partial dates, placeholders, swapped day/month and age ranges as intervals.

Each record yields an interval of possible birth dates (in fractional years), plus the exact
date or the year and month when the record states them trustworthily. 1 January is read as a
likely placeholder even when labelled exact. Age ranges are turned into birth intervals at the
record's own time, widened because assessments err by a year or two; for older teenagers they
err upward more often, and an age assessed too high means a younger child, so it is the latest
possible birth that moves later.

Two records are compared by the gap between their intervals relative to their own widths (a
one-year gap says little between two age estimates, a lot between two documented dates), with
exact agreement, a day/month swap and year-month agreement as levels of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.correlator.domain.model import Person

BIRTH_LEVELS = (
    "exact",
    "swap",
    "year_month",
    "tight",
    "overlap",
    "near",
    "far",
    "conflict",
    "date_conflict",
    "missing",
)
_ASSESSMENT_SLACK = 1.0
_OLDER_TEEN_EXTRA = 1.0
_TIGHT_WIDTH = 1.5  # both intervals narrower than this (years): "tight" agreement
_MIN_SCALE = 0.25  # a gap is judged against at least a quarter of a year of uncertainty


@dataclass(frozen=True, slots=True)
class BirthInfo:
    low: float  # earliest plausible birth, fractional year
    high: float  # latest plausible birth
    exact: tuple[int, int, int] | None = None  # a trustworthy full date
    year_month: tuple[int, int] | None = None  # a trustworthy year and month

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True, slots=True)
class BirthComparison:
    level: str
    gap_years: float  # distance between the two intervals (0 when they overlap)


def _year_fraction(moment: datetime) -> float:
    return moment.year + (moment.timetuple().tm_yday - 1) / 365.25


def _date_parts(dob: str) -> tuple[int, int | None, int | None]:
    parts = dob.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else None
        day = int(parts[2]) if len(parts) > 2 else None
    except ValueError:
        return 0, None, None
    return year, month, day


def _from_date(dob: str, kind: str) -> BirthInfo | None:
    year, month, day = _date_parts(dob)
    if not 1900 < year < 2100:
        return None
    placeholder = kind == "placeholder" or (month == 1 and day == 1)
    if kind == "exact" and month and day and not placeholder:
        point = year + (month - 1) / 12 + (day - 1) / 365.25
        return BirthInfo(point - 0.01, point + 0.01, (year, month, day), (year, month))
    if placeholder or month is None:
        spread = 1.0 if kind in ("estimated", "placeholder") or placeholder else 0.0
        return BirthInfo(year - spread, year + 1 + spread)
    point = year + (month - 1) / 12
    if kind == "estimated":
        return BirthInfo(point - 1.0, point + 1 + 1 / 12)
    return BirthInfo(point - 1 / 12, point + 2 / 12, None, (year, month))


def birth_info(person: Person, at: datetime | None) -> BirthInfo | None:
    """The birth interval of a record, or None when it says nothing usable."""
    kind = person.date_of_birth_kind
    if person.date_of_birth and kind != "unknown":
        info = _from_date(person.date_of_birth, kind)
        if info is not None:
            return info
    if person.age_min is not None and person.age_max is not None and at is not None:
        now = _year_fraction(at)
        # Assessed too old (frequent for older teenagers): born later than the range says.
        extra = _OLDER_TEEN_EXTRA if person.age_max >= 15 else 0.0
        return BirthInfo(
            now - person.age_max - 1 - _ASSESSMENT_SLACK,
            now - person.age_min + _ASSESSMENT_SLACK + extra,
        )
    return None


def compare_birth(a: BirthInfo | None, b: BirthInfo | None) -> BirthComparison:
    if a is None or b is None:
        return BirthComparison("missing", 0.0)
    gap = max(a.low - b.high, b.low - a.high, 0.0)
    if a.exact is not None and b.exact is not None:
        ya, ma, da = a.exact
        yb, mb, db = b.exact
        if a.exact == b.exact:
            return BirthComparison("exact", 0.0)
        if ya == yb and ma == db and da == mb:
            return BirthComparison("swap", 0.0)
    if a.year_month is not None and a.year_month == b.year_month:
        return BirthComparison("year_month", gap)
    if gap == 0.0:
        tight = max(a.width, b.width) <= _TIGHT_WIDTH
        return BirthComparison("tight" if tight else "overlap", 0.0)
    scale = max(_MIN_SCALE, (a.width + b.width) / 2)
    ratio = gap / scale
    level = "near" if ratio <= 0.5 else "far" if ratio <= 2.0 else "conflict"
    if level == "conflict" and a.year_month is not None and b.year_month is not None:
        level = "date_conflict"  # two stated dates years apart: not an estimate's error
    return BirthComparison(level, gap)


# Distance between the two intervals' centres relative to their mean half-width, and in years:
# inside an overlap, records centred on the same birth agree more than ones touching at an edge.
CENTRE_LEVELS = ("centred", "close", "off", "apart", "missing")
_CENTRE_BOUNDS = ((0.25, "centred"), (0.5, "close"), (0.75, "off"))
AGE_GAP_LEVELS = ("within_9m", "within_18m", "within_30m", "beyond", "missing")
_AGE_GAP_BOUNDS = ((0.75, "within_9m"), (1.5, "within_18m"), (2.5, "within_30m"))


def centre_gap(a: BirthInfo | None, b: BirthInfo | None) -> tuple[float, float] | None:
    """(years between the intervals' centres, the same relative to their mean width)."""
    if a is None or b is None:
        return None
    years = abs((a.low + a.high) - (b.low + b.high)) / 2
    return years, years / max(_MIN_SCALE, (a.width + b.width) / 2)


def centre_levels(gap: tuple[float, float] | None) -> tuple[str, str]:
    """The (relative, absolute) centre-distance levels of a `centre_gap`."""
    if gap is None:
        return "missing", "missing"
    years, relative = gap
    centre = next((name for bound, name in _CENTRE_BOUNDS if relative <= bound), "apart")
    age = next((name for bound, name in _AGE_GAP_BOUNDS if years <= bound), "beyond")
    return centre, age


def birth_year_band(info: BirthInfo | None, band: int = 3) -> tuple[int, ...]:
    """Birth-year bands (of `band` years) the interval touches, for blocking."""
    if info is None:
        return ()
    first, last = int(info.low) // band, int(info.high) // band
    return tuple(range(first, last + 1))


def birth_levels(a: BirthInfo | None, b: BirthInfo | None) -> tuple[str, str, str]:
    """`compare_birth(a, b).level` and `centre_levels(centre_gap(a, b))` at once, without
    building the comparison and the gap (the hot path of `bounds`, run for most pairs)."""
    if a is None or b is None:
        return "missing", "missing", "missing"
    a_low, a_high, b_low, b_high = a.low, a.high, b.low, b.high
    width_a, width_b = a_high - a_low, b_high - b_low
    scale = max(_MIN_SCALE, (width_a + width_b) / 2)
    years = abs((a_low + a_high) - (b_low + b_high)) / 2
    relative = years / scale
    centre, age = "apart", "beyond"
    for bound, name in _CENTRE_BOUNDS:
        if relative <= bound:
            centre = name
            break
    for bound, name in _AGE_GAP_BOUNDS:
        if years <= bound:
            age = name
            break
    gap = max(a_low - b_high, b_low - a_high, 0.0)
    if a.exact is not None and b.exact is not None:
        if a.exact == b.exact:
            return "exact", centre, age
        ya, ma, da = a.exact
        yb, mb, db = b.exact
        if ya == yb and ma == db and da == mb:
            return "swap", centre, age
    if a.year_month is not None and a.year_month == b.year_month:
        return "year_month", centre, age
    if gap == 0.0:
        return ("tight" if max(width_a, width_b) <= _TIGHT_WIDTH else "overlap"), centre, age
    ratio = gap / scale
    level = "near" if ratio <= 0.5 else "far" if ratio <= 2.0 else "conflict"
    if level == "conflict" and a.year_month is not None and b.year_month is not None:
        level = "date_conflict"
    return level, centre, age
