"""A simple fuzzy-string baseline: token-sort ratio of the full names, birth year, sex.

The rule is fixed in advance, not tuned on any scenario: propose a pair when rapidfuzz's
token_sort_ratio of the concatenated names is at least 85 (the customary cut-off for
"same name, different spelling"), the birth years (from dates or age ranges) are within two
years when both are known, the recorded sexes do not contradict, and the observation was
made after the child went missing. The score is the name ratio / 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz import fuzz, process, utils

from .common import Record, proposal, read_records, time_ok

ENGINE_VERSION = "baseline-fuzzy-1"
NAME_CUTOFF = 85.0
MAX_YEAR_GAP = 2


def compatible(alert: Record, obs: Record) -> bool:
    """Birth years within two years and sexes not contradicting (unknown is compatible)."""
    years = (alert.birth_year, obs.birth_year)
    if years[0] is not None and years[1] is not None and abs(years[0] - years[1]) > MAX_YEAR_GAP:
        return False
    return alert.sex is None or obs.sex is None or alert.sex == obs.sex


def match(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """match.proposed data dicts for every pair the rule accepts."""
    alerts, observations = read_records(events)
    named = [o for o in observations if o.full_name]
    names = [o.full_name for o in named]
    proposals = []
    for alert in alerts:
        if not alert.full_name:
            continue
        hits = process.extract(
            alert.full_name,
            names,
            scorer=fuzz.token_sort_ratio,
            processor=utils.default_process,
            score_cutoff=NAME_CUTOFF,
            limit=None,
        )
        for _, ratio, index in hits:
            obs = named[index]
            if not time_ok(alert, obs) or not compatible(alert, obs):
                continue
            detail = f"token_sort_ratio {ratio:.0f}"
            explanation = [{"signal": "full_name", "contribution": ratio / 100, "detail": detail}]
            proposals.append(
                proposal(alert.id, obs.kind, obs.id, ratio / 100, ENGINE_VERSION, explanation)
            )
    return proposals
