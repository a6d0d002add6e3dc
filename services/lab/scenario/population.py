"""The children of a scenario: families, cohorts travelling together, and their journeys.

Boats and buses arrive in waves, so cohorts of the same origin share routes and dates;
siblings and cousins travel in one unit, share family and parents' names and have close ages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from .model import Child
from .origins import ORIGINS, Origin, Tradition
from .profiles import current
from .routes import ROUTES, Stay, plan_journey

EPOCH = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
WINDOW_DAYS = 240
WAVES_PER_ROUTE = 30
# Ages 8..17 at arrival; most unaccompanied children are older teenagers.
_AGES = tuple(range(8, 18))
_AGE_WEIGHTS = (1, 1, 1, 2, 2, 3, 5, 8, 12, 12)


@dataclass
class Unit:
    """Children who travel, stay and (if alerted) go missing together."""

    members: list[Child]
    stays: list[Stay]


@lru_cache(maxsize=256)
def _cumulative(n: int, exponent: float) -> tuple[float, ...]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**exponent
        out.append(total)
    return tuple(out)


def zipf(rng: random.Random, pool: tuple[str, ...], exponent: float = 1.0) -> str:
    """A name from a frequency-ordered pool with Zipf weights (rank r has weight 1/r^s, s
    scaled by the noise model: a steeper one crowds more children onto the common names)."""
    scaled = round(exponent * current().zipf_exponent, 3)
    return rng.choices(pool, cum_weights=_cumulative(len(pool), scaled))[0]


def _dob(rng: random.Random, age: int, at: datetime) -> date:
    return (at - timedelta(days=age * 365.25 + rng.uniform(0, 364))).date()


def _family(
    rng: random.Random,
    origin: Origin,
    size: int,
    at: datetime,
    family_id: str,
    first_id: int,
    surname: str | None,
    grandfather: str,
    relation: str,
) -> list[Child]:
    father = zipf(rng, origin.elders + origin.male)
    mother = zipf(rng, origin.female)
    if origin.tradition is Tradition.PATRONYMIC:
        mother_family: str | None = zipf(rng, origin.elders)
    else:
        mother_family = zipf(rng, origin.family) if origin.family and rng.random() < 0.7 else None
    languages = rng.choices(
        origin.languages, [len(origin.languages) - i for i in range(len(origin.languages))]
    )[0]
    age = rng.choices(_AGES, _AGE_WEIGHTS)[0]
    children: list[Child] = []
    used: set[str] = set()
    for n in range(size):
        sex = "male" if rng.random() < origin.male_share else "female"
        pool = origin.male if sex == "male" else origin.female
        given = zipf(rng, pool)
        while given in used or given == father:
            given = zipf(rng, pool)
        used.add(given)
        if n > 0:
            age = max(age - (0 if rng.random() < 0.05 else rng.randint(1, 4)), 6)
        children.append(
            Child(
                child_id=f"child-{first_id + n:05d}",
                origin=origin.code,
                sex=sex,
                dob=_dob(rng, age, at),
                given=given,
                family=surname,
                father=father,
                grandfather=grandfather,
                mother=mother,
                mother_family=mother_family,
                languages=languages,
                family_id=family_id,
                relation=relation if size > 1 or relation == "cousin" else "single",
            )
        )
    return children


def _surname(rng: random.Random, origin: Origin) -> str | None:
    if origin.tradition is Tradition.PATRONYMIC:
        return None
    if origin.tradition is Tradition.AFGHAN and rng.random() < 0.45:
        return None
    return zipf(rng, origin.family, 0.9)


def build_population(rng: random.Random, children: int) -> list[Unit]:
    """Units of children (singles, siblings, siblings with cousins) with their journeys."""
    waves = {
        route: sorted(
            EPOCH + timedelta(days=rng.uniform(0, WINDOW_DAYS)) for _ in range(WAVES_PER_ROUTE)
        )
        for route in ROUTES
    }
    codes = list(ORIGINS)
    weights = [ORIGINS[c].weight for c in codes]
    units: list[Unit] = []
    made = 0
    while made < children:
        origin = ORIGINS[rng.choices(codes, weights)[0]]
        bias = current().route_bias
        route = rng.choices(
            [r for r, _ in origin.routes], [p * bias.get(r, 1.0) for r, p in origin.routes]
        )[0]
        start = rng.choice(waves[route]) + timedelta(hours=rng.uniform(0, 36))
        journey = plan_journey(rng, route, start)
        remaining = min(rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 8)), children - made)
        while remaining > 0:
            family_id = f"family-{made + 1:05d}"
            surname = _surname(rng, origin)
            grandfather = zipf(rng, origin.elders + origin.male)
            if remaining >= 2 and rng.random() < 0.4:
                size = min(remaining, rng.choice((2, 2, 2, 3)))
                members = _family(
                    rng, origin, size, start, family_id, made + 1, surname, grandfather, "sibling"
                )
                left = remaining - size
                if left >= 1 and rng.random() < 0.35:
                    # A cousin: same grandfather (and family name), other parents.
                    members += _family(
                        rng,
                        origin,
                        1,
                        start,
                        family_id,
                        made + 1 + size,
                        surname,
                        grandfather,
                        "cousin",
                    )
            else:
                members = _family(
                    rng, origin, 1, start, family_id, made + 1, surname, grandfather, "single"
                )
            stays = journey
            if len(journey) > 1 and rng.random() < 0.25:
                stays = journey[: rng.randint(1, len(journey) - 1)]  # the unit stays behind
            units.append(Unit(members, stays))
            made += len(members)
            remaining -= len(members)
    return units
