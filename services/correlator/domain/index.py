"""Candidate generation: in-memory inverted indexes of active alerts (and, offline, observations).

Blocking keys are consonant skeletons of every name token (Latin, other names, transliterated
original script, father's name).  Tokens that are common in the bundled frequency table
(Mohammed, Ali) never form a key alone: they are combined with a birth-year band, and pairs of
common tokens form a joint key, so no key grows with the crowd of boys called Mohammed.  At query
time the smallest postings are taken first up to a budget, keeping the cost per observation
nearly flat as the number of alerts grows.  The key function is symmetric: a record is found by
another exactly when their key sets intersect, which is what the streaming service needs to find
stored observations for a new alert (store `observation_blocking_keys` in a GIN-indexed array).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from services.correlator.domain.birth import BirthInfo, birth_year_band
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.name_frequency import DATA_FILE, load_prior_words
from services.correlator.domain.names import Token, make_skeletons

COMMON_FREQUENCY = 0.004  # of all name tokens, per the bundled table
DEFAULT_BUDGET = 400
_CHILDHOOD_YEARS = 19.0


def _common_skeletons() -> frozenset[str]:
    # Commonness is decided on the skeleton, not the spelling, so that a misspelt Mohammed and
    # the alert's Mohammed are blocked the same way (keys must be symmetric).
    counts: Counter[str] = Counter()
    for word, count in load_prior_words(DATA_FILE).items():
        for skel in make_skeletons(word):
            counts[skel] += count
    return frozenset(k for k, count in counts.items() if count / 100_000 >= COMMON_FREQUENCY)


COMMON_SKELETONS = _common_skeletons()


def _birth_for_blocking(features: RecordFeatures) -> BirthInfo | None:
    if features.birth is not None:
        return features.birth
    at = features.spacetime.at
    if at is None:
        return None
    # Without birth data the record still describes a child: any birth in the last 19 years.
    year = datetime.fromtimestamp(at, UTC).year + 0.5
    return BirthInfo(year - _CHILDHOOD_YEARS, year, None)


def blocking_keys(features: RecordFeatures) -> tuple[str, ...]:
    """Blocking keys of an alert or observation (the same function for both sides)."""
    names = features.names
    tokens: list[Token] = list(names.all_tokens)
    if names.father is not None:
        tokens.append(names.father)
    bands = birth_year_band(_birth_for_blocking(features))
    keys: set[str] = set()
    common: set[str] = set()
    for token in tokens:
        skeletons = [s for s in token.skeletons if len(s) >= 2]
        for skel in skeletons:
            if skel in COMMON_SKELETONS:
                common.add(skel)
                keys.update(f"{skel}|{band}" for band in bands)
            else:
                keys.add(skel)
    ordered = sorted(common)
    keys.update(f"{x}&{y}" for i, x in enumerate(ordered) for y in ordered[i + 1 :])
    return tuple(sorted(sys.intern(k) for k in keys))


class InvertedIndex:
    """Ids by blocking key, with removal; postings are plain lists of interned ids."""

    __slots__ = ("_postings", "_keys_of")

    def __init__(self) -> None:
        self._postings: dict[str, list[str]] = {}
        self._keys_of: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self._keys_of)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._keys_of

    def add(self, item_id: str, keys: Iterable[str]) -> None:
        item_id = sys.intern(item_id)
        if item_id in self._keys_of:
            self.remove(item_id)
        key_tuple = tuple(keys)
        self._keys_of[item_id] = key_tuple
        for key in key_tuple:
            self._postings.setdefault(key, []).append(item_id)

    def remove(self, item_id: str) -> None:
        for key in self._keys_of.pop(item_id, ()):
            posting = self._postings.get(key)
            if posting is not None:
                posting.remove(item_id)
                if not posting:
                    del self._postings[key]

    def candidates(
        self, keys: Iterable[str], budget: int = DEFAULT_BUDGET
    ) -> tuple[list[str], int]:
        """Ids sharing a key, smallest postings first, stopping at `budget`; plus keys skipped."""
        postings = sorted((p for p in (self._postings.get(k) for k in keys) if p), key=len)
        found: dict[str, None] = {}
        skipped = 0
        for posting in postings:
            if found and len(found) + len(posting) > budget:
                skipped += 1
                continue
            if len(posting) > budget:
                skipped += 1
                continue
            found.update(dict.fromkeys(posting))
        return list(found), skipped
