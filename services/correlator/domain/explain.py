"""Explanations for investigators: one plain sentence per signal, contributions that add up.

Each entry carries a contribution in bits (log2 odds); the baseline entry plus every other
entry add up to the log2 odds of the score (score = 1 / (1 + 2^-sum)). Sentences state only
relations (agree, differ, N years apart, km and days): never a name or a birth date, because
explanations travel in notifications and must not carry personal data.
"""

from __future__ import annotations

from typing import Any

from services.correlator.domain.scoring import (
    REFERENCE_LEVEL,
    Comparison,
    Weights,
    contributions,
)

_NAME = {
    "full": "all name parts agree (same spelling or a known variant)",
    "full_fuzzy": "all name parts agree, some only approximately",
    "single": "the single name part recorded agrees",
    "partial": "some name parts agree, others differ",
    "given_conflict": "the given names differ",
    "none": "no name part agrees",
}
_RARITY = {
    "rare": "the agreeing names are rare",
    "uncommon": "the agreeing names are less common than average",
    "ordinary": "the agreeing names are of ordinary frequency",
    "common": "the agreeing names are common",
    "very_common": "the agreeing names are very common",
}
_PARENT = {
    "agree": "{who}'s names agree",
    "close": "{who}'s names agree approximately",
    "in_name": "{who}'s name appears in the other record's name chain",
    "disagree": "{who}'s names differ",
}
_SIMPLE = {
    ("sibling", "likely"): "same parents but another given name: possibly a sibling",
    ("birth", "exact"): "birth dates agree exactly",
    ("birth", "swap"): "birth dates agree with day and month swapped",
    ("birth", "year_month"): "birth year and month agree",
    ("birth", "tight"): "birth data agree within their precision",
    ("birth", "overlap"): "birth estimates overlap",
    ("sex", "agree"): "sex agrees",
    ("sex", "disagree"): "sex differs",
    ("nationality", "agree"): "a nationality agrees",
    ("nationality", "confusable"): "nationalities differ but are often confused",
    ("nationality", "disagree"): "nationalities differ",
    ("language", "agree"): "a language agrees",
    ("language", "disagree"): "languages differ (interview languages often do: weak evidence)",
    ("given_name", "exact"): "given names spelt the same",
    ("given_name", "equivalent"): "given names are known variants of one name",
    ("given_name", "close"): "given names spelt nearly the same",
    ("given_name", "differ"): "given names differ",
    ("birth_centre", "centred"): "birth estimates centred on the same time",
    ("birth_centre", "close"): "birth estimates centred close together for their precision",
    ("birth_centre", "off"): "birth estimates centred apart for their precision",
    ("birth_centre", "apart"): "birth estimates centred far apart for their precision",
    ("route", "known"): "a movement seen before in confirmed matches",
    ("route", "unknown"): "a movement not seen in confirmed matches",
    ("route", "same_cell"): "observed in the same region as last seen",
    ("document", "same"): "both records name the same identity document number",
    ("document", "misread"): "identity document numbers one character apart: likely misread",
    ("document", "differ"): "different numbers for the same kind of identity document",
    ("birthplace", "same"): "both records give the same place of birth",
    ("birthplace", "close"): "places of birth spelled alike: one transliteration apart",
    ("birthplace", "region"): "places of birth in the same province or district",
    ("birthplace", "differ"): "different places of birth (children also name where they lived)",
    ("height", "close"): "heights agree, allowing for growth since the alert",
    ("height", "near"): "heights a few centimetres apart, allowing for growth",
    ("height", "apart"): "heights 8-15 cm apart, allowing for growth",
    ("height", "far"): "heights more than 15 cm apart, allowing for growth",
    ("marks", "agree"): "a distinguishing mark of one kind in one place on both records",
    ("marks", "partial"): "a distinguishing mark of one kind, its place only roughly alike",
    ("marks", "differ"): "the distinguishing marks described do not meet (records rarely list "
    "every mark)",
}
_HEADING = {
    "north": "north",
    "north_east": "north-east",
    "east": "east",
    "south_east": "south-east",
    "south": "south",
    "south_west": "south-west",
    "west": "west",
    "north_west": "north-west",
}
_BIRTH_APART = {
    "near": "birth estimates {gap} apart: within their uncertainty",
    "far": "birth estimates {gap} apart: more than their uncertainty",
    "conflict": "birth estimates {gap} apart: incompatible",
}
_TRAVEL = {
    "same_place": "observed {km} from where last seen, {days} later",
    "slow": "{km} in {days}: consistent with staying along a route",
    "steady": "{km} in {days}: consistent with overland travel",
    "fast": "{km} in {days}: fast but possible travel",
    "very_fast": "{km} in {days}: barely possible travel",
    "impossible": "{km} in {days}: impossible overland",
    "before_last_seen": "observed before the child went missing",
}


def _name_sentence(level: str, facts: dict[str, float]) -> str | None:
    if level in _NAME:
        return _NAME[level]
    for rarity, text in _RARITY.items():
        if level.endswith("_" + rarity) and level[: -len(rarity) - 1] in _NAME:
            sentence = f"{_NAME[level[: -len(rarity) - 1]]}; {text}"
            if facts.get("name_tokens") == 1.0:
                sentence += " (one agreeing part: rarity bonus capped)"
            return sentence
    return None


def _days(days: float) -> str:
    if days < 2:
        return f"{days * 24:.0f} hours"
    return f"{days:.0f} days"


def _years(years: float) -> str:
    return "less than a year" if years < 1 else f"{years:.1f} years"


def sentence(signal: str, level: str, facts: dict[str, float]) -> str | None:
    """The plain sentence for one signal's level, None when the level says nothing."""
    if signal == "name":
        return _name_sentence(level, facts)
    if signal in ("father_name", "mother_name") and level in _PARENT:
        return _PARENT[level].format(who="father" if signal == "father_name" else "mother")
    if signal == "birth" and level in _BIRTH_APART:
        return _BIRTH_APART[level].format(gap=_years(facts.get("birth_gap_years", 0.0)))
    if signal == "place_time" and level in _TRAVEL:
        km, days = facts.get("km"), facts.get("days")
        if km is None or days is None:
            return _TRAVEL[level] if level == "before_last_seen" else None
        return _TRAVEL[level].format(km=f"{km:.0f} km", days=_days(days))
    if signal == "age_gap" and "centre_gap_years" in facts:
        return f"estimated ages {_years(facts['centre_gap_years'])} apart"
    if signal == "travel" and level != "missing":
        return "this pace over this time, taken together"
    if signal == "heading" and level in _HEADING:
        return f"moved {_HEADING[level]} since last seen (directions weighed by confirmed matches)"
    if signal == "elapsed" and "days" in facts:
        return f"observed {_days(facts['days'])} after last seen"
    return _SIMPLE.get((signal, level))


def explain(weights: Weights, kind: str, comparison: Comparison) -> list[dict[str, Any]]:
    """The baseline and each informative signal's contribution with its sentence."""
    baseline = weights.baseline.get(kind, 0.0)
    out: list[dict[str, Any]] = [
        {
            "signal": "baseline",
            "contribution": round(baseline, 3),
            "detail": f"odds before any evidence for a {kind}; the contributions add up to "
            "the score's log2 odds",
        }
    ]
    for signal, value in contributions(weights, kind, comparison).items():
        level = comparison.levels[signal]
        text = sentence(signal, level, comparison.facts)
        if text is None and (level == REFERENCE_LEVEL.get(signal) or value == 0.0):
            continue
        out.append({"signal": signal, "contribution": round(value, 3), "detail": text or level})
    return out


def rivals_entry(count: int, within_bits: float, share: float | None = None) -> dict[str, Any]:
    """How many other active alerts score close to this one, and the alert's share of the
    probability against all of them (`competition`); contributes nothing."""
    alerts = "alert scores" if count == 1 else "alerts score"
    detail = f"{count} other active {alerts} within {within_bits:g} bits of this one"
    if share is not None:
        detail += (
            f"; weighed against every candidate alert and against none of them, "
            f"{share:.0%} of the probability goes to this one"
        )
    return {"signal": "rivals", "contribution": 0.0, "detail": detail}
