"""Birth, demographic and place/time evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from services.correlator.domain.birth import birth_info, compare_birth
from services.correlator.domain.demographics import (
    compare_languages,
    compare_nationalities,
    compare_sex,
)
from services.correlator.domain.model import Person
from services.correlator.domain.spacetime import SpaceTime, compare_spacetime

AT = datetime(2024, 3, 20, tzinfo=UTC)


def _birth(dob: str | None, kind: str = "exact", age: tuple[int, int] | None = None) -> str:
    return compare_birth(
        birth_info(Person(date_of_birth="2010-06-14", date_of_birth_kind="exact"), AT),
        birth_info(
            Person(
                date_of_birth=dob,
                date_of_birth_kind=kind,
                age_min=age[0] if age else None,
                age_max=age[1] if age else None,
            ),
            AT,
        ),
    )


def test_birth_levels() -> None:
    assert _birth("2010-06-14") == "exact"
    assert _birth("2010-14-06".replace("14-06", "06-14")) == "exact"
    assert _birth("2010-01-01") == "compatible"  # 1 January read as a placeholder
    assert _birth("2010-01-01", "placeholder") == "compatible"
    assert _birth("2010", "estimated") == "compatible"
    assert _birth(None, "unknown", (13, 14)) in ("within_year", "compatible")
    assert _birth(None, "unknown", (6, 7)) == "strong_conflict"
    assert _birth("2004-03-02") == "strong_conflict"
    assert _birth(None, "unknown") == "missing"


def test_day_month_swap_is_compatible() -> None:
    a = birth_info(Person(date_of_birth="2010-03-05", date_of_birth_kind="exact"), AT)
    b = birth_info(Person(date_of_birth="2010-05-03", date_of_birth_kind="exact"), AT)
    assert compare_birth(a, b) == "exact"


def test_demographics() -> None:
    assert compare_sex("male", "unknown") == "missing"
    assert compare_sex("male", "female") == "disagree"
    assert compare_nationalities(("AFG",), ("IRN",)) == "confusable"
    assert compare_nationalities(("ERI",), ("AFG",)) == "disagree"
    assert compare_languages(("prs",), ("fas",)) == "agree"


LAMPEDUSA = (35.50, 12.60)
CALAIS = (50.95, 1.86)
VENTIMIGLIA = (43.79, 7.61)


def _t(day: int, hour: int = 0) -> float:
    return datetime(2024, 3, day, hour, tzinfo=UTC).timestamp()


def test_observation_before_last_seen_is_vetoed() -> None:
    assert compare_spacetime(SpaceTime(_t(10), LAMPEDUSA), SpaceTime(_t(5), LAMPEDUSA)) == (
        "before_last_seen"
    )


def test_lampedusa_to_calais_in_two_hours_is_impossible() -> None:
    assert compare_spacetime(SpaceTime(_t(3, 10), LAMPEDUSA), SpaceTime(_t(3, 12), CALAIS)) == (
        "impossible"
    )
    assert compare_spacetime(SpaceTime(_t(3), LAMPEDUSA), SpaceTime(_t(20), CALAIS)) in (
        "easy_reach",
        "fast_reach",
    )
    assert compare_spacetime(SpaceTime(_t(3), VENTIMIGLIA), SpaceTime(_t(5), VENTIMIGLIA)) == (
        "same_area"
    )
