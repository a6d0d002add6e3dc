"""Heights two records give, against the growth possible between them.

A child measured at a reception centre, described by a parent to the police or guessed by a
passer-by keeps growing: a teenager up to about 9 cm a year, and nobody shrinks. The later
record (the observation) may therefore be taller than the alert by up to that growth. How far
the observation falls outside that span grades the pair: within 3 cm "close", 8 cm "near",
15 cm "apart", further "far" (a typed 165 for 156, shoes, a guess from across the street: evidence
against, never a veto); "missing" when either record gives no height. The fit weighs each level
per observation kind, so a sighting's rough guess counts less than a measurement. Pure
functions, no I/O.
"""

from __future__ import annotations

HEIGHT_LEVELS = ("close", "near", "apart", "far", "missing")
# Most a child grows in a year (the adolescent spurt peaks near 9-10 cm).
_GROWTH_CM_PER_YEAR = 9.0
_SECONDS_PER_YEAR = 365.25 * 86400
_BANDS = ((3.0, "close"), (8.0, "near"), (15.0, "apart"))


def parse_height(value: object) -> int | None:
    """A Person's `height_cm` when it is a plausible height of a child."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 50 <= value <= 220 else None


def height_level(
    alert: int | None, observed: int | None, alert_at: float | None, observed_at: float | None
) -> str:
    """How the observation's height compares with the alert's, given the time between them
    (seconds since the epoch; without both times no growth is allowed for)."""
    if alert is None or observed is None:
        return "missing"
    years = 0.0
    if alert_at is not None and observed_at is not None:
        years = max(observed_at - alert_at, 0.0) / _SECONDS_PER_YEAR
    gap = observed - alert
    growth = _GROWTH_CM_PER_YEAR * years
    outside = -gap if gap < 0 else max(gap - growth, 0.0)
    for bound, level in _BANDS:
        if outside <= bound:
            return level
    return "far"
