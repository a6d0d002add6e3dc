"""Heights in the scenario: each child grows along its own centile of a growth curve (a few
centimetres under the WHO reference, as children who travelled long often are), and a record
keeper measures it, is told it or guesses it: a centre's stadiometer to the centimetre, a
parent's word to the nearest five and as it was some months ago, a passer-by's guess to the
nearest five and far off; now and then a digit typed wrong. Each draw has a generator of its
own, seeded by scenario, child and record, so the rest of a scenario is the same as without
heights.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .model import Child
from .noise_person import age_at
from .profiles import current

# Median height (cm) by completed year of age, 5 to 19 (WHO 2007 reference, rounded).
_MEDIAN = {
    "male": (110, 116, 122, 128, 133, 138, 143, 149, 156, 163, 169, 173, 175, 176, 177),
    "female": (109, 115, 121, 127, 133, 138, 144, 151, 156, 159, 161, 162, 163, 163, 163),
}
_FIRST_AGE = 5
_SHORTER_CM = 3.0
_SPREAD_CM = 6.5


def true_height(seed: int, child: Child, when: datetime) -> float:
    """The child's height at `when`, on the child's own centile."""
    centile = random.Random(f"height/{seed}/{child.child_id}").gauss(0.0, 1.0)
    curve = _MEDIAN["female" if child.sex == "female" else "male"]
    age = min(max(age_at(child.dob, when) - _FIRST_AGE, 0.0), len(curve) - 1.0)
    low = int(age)
    high = min(low + 1, len(curve) - 1)
    median = curve[low] + (curve[high] - curve[low]) * (age - low)
    return median - _SHORTER_CM + _SPREAD_CM * centile


def _typo(rng: random.Random, height: int) -> int:
    digits = str(height)
    swapped = int(digits[0] + digits[2] + digits[1]) if len(digits) == 3 else height
    return swapped if swapped != height else height + rng.choice((-10, 10))


def recorded_height(
    seed: int, child: Child, record_id: str, when: datetime, how: str, share: float
) -> int | None:
    """The height a record of the child gives (`share` of them), `how` it was taken:
    "measured", "told" (by a parent, months out of date) or "guessed"."""
    rng = random.Random(f"height/{seed}/{record_id}")
    if rng.random() >= share:
        return None
    height = true_height(seed, child, when)
    if how == "measured":
        value = round(height + rng.gauss(0.0, 1.2))
    elif how == "told":
        earlier = when - timedelta(days=rng.uniform(0, 365))
        value = 5 * round((true_height(seed, child, earlier) + rng.gauss(0.0, 4.0)) / 5)
    else:
        value = 5 * round((height + rng.gauss(0.0, 8.0)) / 5)
    if rng.random() < current().height_typo:
        value = _typo(rng, value)
    return min(max(value, 50), 220)
