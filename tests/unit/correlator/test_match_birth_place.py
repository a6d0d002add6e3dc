"""Birth, demographic and place/time evidence."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from services.correlator.domain.birth import (
    BirthInfo,
    birth_info,
    birth_levels,
    centre_gap,
    centre_levels,
    compare_birth,
)
from services.correlator.domain.demographics import (
    compare_languages,
    compare_nationalities,
    compare_sex,
)
from services.correlator.domain.geo import bearing_degrees, sector
from services.correlator.domain.model import Person
from services.correlator.domain.movement import heading_level
from services.correlator.domain.spacetime import (
    SpaceTime,
    compare_spacetime,
    elapsed_and_cells,
    spacetime_levels,
)

AT = datetime(2024, 3, 20, tzinfo=UTC)


def _person(dob: str | None, kind: str = "exact", age: tuple[int, int] | None = None) -> Person:
    return Person(
        date_of_birth=dob,
        date_of_birth_kind=kind,
        age_min=age[0] if age else None,
        age_max=age[1] if age else None,
    )


def _birth(dob: str | None, kind: str = "exact", age: tuple[int, int] | None = None) -> str:
    alert = birth_info(_person("2010-06-14"), AT)
    return compare_birth(alert, birth_info(_person(dob, kind, age), AT)).level


def test_birth_levels_are_graded_relative_to_each_sides_uncertainty() -> None:
    assert _birth("2010-06-14") == "exact"
    assert _birth("2010-06-02") == "year_month"
    assert _birth("2010-01-01") == "overlap"  # 1 January read as a placeholder
    assert _birth("2010-01-01", "placeholder") == "overlap"
    assert _birth("2010", "estimated") == "overlap"
    assert _birth(None, "unknown", (13, 14)) in ("tight", "overlap")
    assert _birth(None, "unknown", (6, 7)) == "conflict"
    # Two documented dates years apart are not an estimate's error.
    assert _birth("2004-03-02") == "date_conflict"
    assert _birth(None, "unknown") == "missing"


def test_day_month_swap_has_its_own_level() -> None:
    a = birth_info(_person("2010-03-05"), AT)
    b = birth_info(_person("2010-05-03"), AT)
    assert compare_birth(a, b).level == "swap"


def test_an_older_teenager_assessed_too_old_may_be_born_later() -> None:
    """Assessments of older teenagers err upward: the latest possible birth moves later."""
    teen = birth_info(_person(None, "unknown", (16, 17)), AT)
    child = birth_info(_person(None, "unknown", (12, 13)), AT)
    assert teen is not None and child is not None
    now = 2024 + 79 / 365.25
    assert teen.high - (now - 16) > child.high - (now - 12)  # widened on the late side only
    assert round(teen.low - (now - 17 - 1), 6) == round(child.low - (now - 13 - 1), 6)


def test_demographics() -> None:
    assert compare_sex("male", "unknown") == "missing"
    assert compare_sex("male", "female") == "disagree"
    assert compare_nationalities(("AFG",), ("IRN",)) == "confusable"
    assert compare_nationalities(("ERI",), ("AFG",)) == "disagree"
    assert compare_languages(("prs",), ("fas",)) == "agree"


LAMPEDUSA = (35.50, 12.60)
CALAIS = (50.95, 1.86)
VENTIMIGLIA = (43.79, 7.61)
MILAN = (45.46, 9.19)


def _t(day: int, hour: int = 0, month: int = 3) -> float:
    return datetime(2024, month, day, hour, tzinfo=UTC).timestamp()


def test_observation_before_the_child_went_missing_is_vetoed() -> None:
    assert compare_spacetime(SpaceTime(_t(10), LAMPEDUSA), SpaceTime(_t(5), LAMPEDUSA)).level == (
        "before_last_seen"
    )


def test_a_later_last_seen_report_keeps_the_moment_the_child_went_missing() -> None:
    # Missing in Ventimiglia on the 3rd, reported seen in Milan on the 20th.
    alert = SpaceTime(_t(20), MILAN, since=_t(3), first_point=VENTIMIGLIA)
    between = compare_spacetime(alert, SpaceTime(_t(10), VENTIMIGLIA))
    assert between.level == "same_place"  # measured from the first report, not vetoed
    after = compare_spacetime(alert, SpaceTime(_t(25), MILAN))
    assert after.level == "same_place" and after.days is not None and after.days < 6


def test_implied_speed_and_elapsed_days_grade_place_and_time() -> None:
    impossible = compare_spacetime(SpaceTime(_t(3, 10), LAMPEDUSA), SpaceTime(_t(3, 12), CALAIS))
    assert impossible.level == "impossible"
    far = compare_spacetime(SpaceTime(_t(3), LAMPEDUSA), SpaceTime(_t(20, month=4), CALAIS))
    assert far.level == "steady" and far.elapsed == "days_60"
    assert far.km is not None and 1850 < far.km < 1950
    stay = compare_spacetime(SpaceTime(_t(3), VENTIMIGLIA), SpaceTime(_t(5), VENTIMIGLIA))
    assert (stay.level, stay.elapsed) == ("same_place", "days_3")


def test_the_direction_moved_is_read_from_the_cells_moved_between() -> None:
    onward = compare_spacetime(SpaceTime(_t(3), LAMPEDUSA), SpaceTime(_t(20, month=4), CALAIS))
    assert heading_level(onward.route) == "north_west"
    back = compare_spacetime(SpaceTime(_t(3), CALAIS), SpaceTime(_t(20, month=4), LAMPEDUSA))
    assert heading_level(back.route) == "south_east"
    stay = compare_spacetime(SpaceTime(_t(3), VENTIMIGLIA), SpaceTime(_t(5), VENTIMIGLIA))
    assert heading_level(stay.route) == "missing"  # one cell: too short for a direction
    assert heading_level(None) == "missing"


def test_bearings_fall_into_eight_sectors_clockwise_from_north() -> None:
    rome = (41.9, 12.5)
    assert sector(bearing_degrees(rome, (50.0, 12.5))) == 0  # due north
    assert sector(bearing_degrees(rome, (41.9, 20.0))) == 2  # east
    assert sector(bearing_degrees(rome, (35.0, 12.5))) == 4  # due south
    assert sector(bearing_degrees(rome, (41.9, 5.0))) == 6  # west
    assert sector(359.0) == sector(10.0) == 0


def test_the_bounds_birth_levels_are_those_of_the_full_comparison() -> None:
    # Documented dates, swapped day and month, year and month only, age ranges of every width,
    # placeholders: every pair of them gets the same three levels both ways.
    people = [
        _person(dob, kind, age)
        for dob, kind, age in (
            ("2010-06-14", "exact", None),
            ("2010-14-06", "exact", None),
            ("2010-06-15", "exact", None),
            ("2010-06", "year_month", None),
            ("2010-01-01", "exact", None),
            ("2010", "year", None),
            ("2012-03-02", "exact", None),
            ("2003-02-03", "exact", None),
            (None, "exact", (12, 13)),
            (None, "exact", (13, 17)),
            (None, "exact", (8, 8)),
            (None, "exact", (3, 18)),
        )
    ]
    births: list[BirthInfo | None] = [birth_info(p, AT) for p in people]
    births += [None, BirthInfo(2010.0, 2010.0), BirthInfo(2010.0, 2010.1, None, (2010, 1))]
    for a in births:
        for b in births:
            full = compare_birth(a, b).level, *centre_levels(centre_gap(a, b))
            assert birth_levels(a, b) == full


def test_the_bounds_place_levels_are_those_of_the_full_comparison() -> None:
    rng = random.Random(3)
    day = 86400.0

    def record(*, alert: bool) -> SpaceTime:
        at = rng.choice([None, rng.uniform(0, 200 * day)])
        point = rng.choice([None, (rng.uniform(30, 50), rng.uniform(-5, 25))])
        if alert and at is not None and rng.random() < 0.3:  # last seen again, later
            first = rng.choice([None, (rng.uniform(30, 50), rng.uniform(-5, 25))])
            return SpaceTime(at + rng.uniform(0, 30 * day), point, at, first)
        return SpaceTime(at, point)

    levels = set()
    for _ in range(3000):
        alert, observed = record(alert=True), record(alert=False)
        full = compare_spacetime(alert, observed)
        level, elapsed, cells = spacetime_levels(alert, observed)
        route = None if cells is None else "{}:{}>{}:{}".format(*cells)
        assert (level, elapsed, route) == (full.level, full.elapsed, full.route)
        if level not in ("before_last_seen", "impossible"):  # vetoed: "missing", no route
            assert elapsed_and_cells(alert, observed) == (elapsed, cells)
        levels.add(level)
    assert len(levels) >= 6
