"""Candidate generation: in-memory inverted indexes of active alerts (and, offline, observations).

Blocking keys are consonant skeletons of every name token (Latin, other names, transliterated
original script, father's name). Tokens that are common in the name-frequency table the
`Blocker` is built with (Mohammed, Ali) never form a key alone: they are combined with a
birth-year band, and pairs of common tokens form a joint key, so no key grows with the crowd of
boys called Mohammed. At query time the smallest postings are taken first up to a budget,
keeping the cost per observation nearly flat as the number of alerts grows; ties are broken by
key, so the candidates are a function of the set of active alerts alone.

Records without usable names are still found by coarse space-time keys: a record's cell
(2 degrees) and month with its sex and birth-year band.  Stored records carry only their own
cell and month; a query covers the neighbouring cells and the months between last seen and
observation, so what is stored per record stays small.  An alert and an observation meet
exactly when one's query keys intersect the other's stored keys, whichever is stored: the
engine stores alerts and queries with observations, the streaming service stores
`observation_blocking_keys` in a GIN-indexed array and queries with `alert_blocking_keys`.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal

from services.correlator.domain.birth import BirthInfo, birth_year_band
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.name_spelling import make_skeletons
from services.correlator.domain.names import Token

COMMON_FREQUENCY = 0.004  # of all name tokens, per the frequency table
DEFAULT_BUDGET = 100
_CHILDHOOD_YEARS = 19.0
CELL_DEGREES = 2.0
_MONTHS_AFTER = 2  # an alert's space-time keys cover the last-seen month and the next two
# Without a usable age a space-time key would gather every child of a place and month.
_MAX_SPACETIME_BANDS = 3


def common_skeletons(words: Mapping[str, int]) -> frozenset[str]:
    """Skeletons too common to block on alone, from word counts per 100 000 name tokens."""
    # Commonness is decided on the skeleton, not the spelling, so that a misspelt Mohammed and
    # the alert's Mohammed are blocked the same way (keys must be symmetric).
    counts: Counter[str] = Counter()
    for word, count in words.items():
        for skel in make_skeletons(word):
            counts[skel] += count
    return frozenset(k for k, count in counts.items() if count / 100_000 >= COMMON_FREQUENCY)


def _birth_for_blocking(features: RecordFeatures) -> BirthInfo | None:
    if features.birth is not None:
        return features.birth
    at = features.spacetime.at
    if at is None:
        return None
    # Without birth data the record still describes a child: any birth in the last 19 years.
    year = datetime.fromtimestamp(at, UTC).year + 0.5
    return BirthInfo(year - _CHILDHOOD_YEARS, year, None)


def blocking_bands(features: RecordFeatures) -> tuple[int, ...]:
    """The birth-year bands a record blocks with (any childhood when it has no birth data)."""
    return birth_year_band(_birth_for_blocking(features))


def _month(at: float) -> int:
    moment = datetime.fromtimestamp(at, UTC)
    return moment.year * 12 + moment.month - 1


def _spacetime_keys(
    features: RecordFeatures, bands: tuple[int, ...], query: str | None
) -> frozenset[str]:
    at, point = features.spacetime.at, features.spacetime.point
    if at is None or point is None or not bands or len(bands) > _MAX_SPACETIME_BANDS:
        return frozenset()
    row, col = int(point[0] // CELL_DEGREES), int(point[1] // CELL_DEGREES)
    sexes = (features.sex,) if features.sex != "unknown" else ("female", "male")
    return _cell_keys(row, col, _month(at), sexes, bands, query)


@lru_cache(maxsize=1 << 16)
def _cell_keys(
    row: int, col: int, month: int, sexes: tuple[str, ...], bands: tuple[int, ...],
    query: str | None,
) -> frozenset[str]:
    """The space-time keys of a cell, month, sexes and bands: records made at one place and
    month share them, so they are joined once (a query has up to 9 x 3 x 2 x 3 of them)."""
    if query is None:
        cells, months = [(row, col)], range(month, month + 1)
    else:
        cells = [(row + dr, col + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        # An alert looks forward from last seen, an observation back towards it.
        months = (
            range(month, month + _MONTHS_AFTER + 1)
            if query == "alert"
            else range(month - _MONTHS_AFTER, month + 1)
        )
    heads = [f"@{r}:{c}|{m}|" for r, c in cells for m in months]
    tails = [f"{sex[0]}|{band}" for sex in sexes for band in bands]
    return frozenset(head + tail for head in heads for tail in tails)


class Blocker:
    """Computes blocking keys, knowing which name skeletons are too common to block on alone."""

    __slots__ = ("_common", "_splits", "_last")

    def __init__(self, common: frozenset[str]) -> None:
        self._common = common
        self._splits: dict[int, tuple[Token, frozenset[str], frozenset[str]]] = {}
        # The last record's name keys and bands (see `keys`).
        self._last: tuple[RecordFeatures, frozenset[str], tuple[int, ...]] | None = None

    def _skeleton_split(self, token: Token) -> tuple[frozenset[str], frozenset[str]]:
        """A token's usable skeletons: (rare ones, keys alone; common ones, combined)."""
        # Kept by the token's identity (equal tokens are usually one object, and hashing a
        # token's fields costs more than splitting); the entry holds the token, so its id
        # cannot be reused while the entry is kept.
        kept = self._splits.get(id(token))
        if kept is not None and kept[0] is token:
            return kept[1], kept[2]
        usable = [s for s in token.skeletons if len(s) >= 2]
        rare = frozenset(s for s in usable if s not in self._common)
        frequent = frozenset(s for s in usable if s in self._common)
        if len(self._splits) < 1 << 20:
            self._splits[id(token)] = (token, rare, frequent)
        return rare, frequent

    def keys(
        self, features: RecordFeatures, *, query: Literal["alert", "observation"] | None = None
    ) -> tuple[str, ...]:
        """Blocking keys of a record: to store it (`query=None`), or to look up the other side
        with (`query` names the record's kind).  Name keys are the same either way; space-time
        keys are one cell and month when stored and the neighbouring cells and months when
        querying."""
        return tuple(sorted(self.query_keys(features, query)))

    def query_keys(
        self, features: RecordFeatures, query: Literal["alert", "observation"] | None
    ) -> frozenset[str]:
        """The keys of `keys`, in no particular order (to look postings up with)."""
        last = self._last
        if last is not None and last[0] is features:
            _, names, bands = last
        else:
            bands = blocking_bands(features)
            names = self._name_keys(features, bands)
            # A record's keys are usually asked for twice in a row, to store it and to query
            # with: the name keys are the same both times.
            self._last = (features, names, bands)
        return names | _spacetime_keys(features, bands, query)

    def _name_keys(self, features: RecordFeatures, bands: tuple[int, ...]) -> frozenset[str]:
        names = features.names
        tokens: list[Token] = list(names.all_tokens)
        if names.father is not None:
            tokens.append(names.father)
        splits = [self._skeleton_split(token) for token in tokens]
        keys: set[str] = set().union(*(rare for rare, _ in splits))
        common: set[str] = set().union(*(frequent for _, frequent in splits))
        keys.update(f"{skel}|{band}" for skel in common for band in bands)
        ordered = sorted(common)
        keys.update(f"{x}&{y}" for i, x in enumerate(ordered) for y in ordered[i + 1 :])
        return frozenset(keys)


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

    def keys_of(self, item_id: str) -> tuple[str, ...]:
        return self._keys_of.get(item_id, ())

    def posting(self, key: str) -> list[str] | None:
        return self._postings.get(key)

    @property
    def postings(self) -> Mapping[str, list[str]]:
        """Every posting by key (read only: change them through `add` and `remove`)."""
        return self._postings

    def add(self, item_id: str, keys: Iterable[str]) -> None:
        if item_id in self._keys_of:
            self.remove(item_id)
        # Interned so that a million records share one copy of each key string.
        key_tuple = tuple(sys.intern(key) for key in keys)
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

    def ranked_postings(self, keys: Iterable[str]) -> list[tuple[str, list[str]]]:
        """(key, posting) of the keys that have one, smallest postings first, ties by key."""
        found = [(len(p), key, p) for key in keys if (p := self._postings.get(key))]
        found.sort(key=lambda item: (item[0], item[1]))
        return [(key, posting) for _, key, posting in found]

    def candidates(
        self, keys: Iterable[str], budget: int = DEFAULT_BUDGET
    ) -> tuple[list[str], int]:
        """Ids sharing a key, smallest postings first (ties by key), whole postings only, within
        `budget`; plus the number of keys skipped because their postings did not fit."""
        found: dict[str, None] = {}
        skipped = 0
        for _, posting in self.ranked_postings(keys):
            if len(posting) > budget or (found and len(found) + len(posting) > budget):
                skipped += 1
                continue
            found.update(dict.fromkeys(posting))
        return list(found), skipped


class TimeBucketedIndex:
    """Ids by blocking key within buckets of time (`width` seconds each): the ids sharing a key
    that were observed within `width` of a moment, without reading the postings of ids made
    weeks apart. Records without a time are not held (they are near no moment)."""

    __slots__ = ("_width", "_buckets")

    def __init__(self, width: float) -> None:
        self._width = width
        self._buckets: dict[int, dict[str, list[str]]] = {}

    def add(self, item_id: str, at: float | None, keys: Iterable[str]) -> None:
        """Hold an id (added once: an id removed is never added again)."""
        if at is None:
            return
        postings = self._buckets.setdefault(int(at // self._width), {})
        for key in keys:
            postings.setdefault(key, []).append(item_id)

    def remove(self, item_id: str, at: float | None, keys: Iterable[str]) -> None:
        """Forget an id held with this time and these keys (its record was erased)."""
        if at is None:
            return
        postings = self._buckets.get(int(at // self._width), {})
        for key in keys:
            posting = postings.get(key)
            if posting is not None and item_id in posting:
                posting.remove(item_id)
                if not posting:
                    del postings[key]

    def near(self, at: float, keys: Iterable[str]) -> set[str]:
        """Ids sharing one of `keys` held with a time at most `width` from `at`, and maybe a few
        more from the neighbouring buckets (the caller checks the exact times)."""
        found: set[str] = set()
        bucket = int(at // self._width)
        buckets = [b for b in map(self._buckets.get, range(bucket - 1, bucket + 2)) if b]
        if not buckets:
            return found
        wanted = keys if isinstance(keys, (set, frozenset)) else set(keys)
        for postings in buckets:
            # Most keys have no posting in a bucket: the intersection skips them in C.
            for key in postings.keys() & wanted:
                found.update(postings[key])
        return found
