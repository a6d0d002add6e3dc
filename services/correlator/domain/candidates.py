"""Candidate alerts for an observation: the engine's alert index and its cheap admission rules.

Blocking keys (`index.Blocker`) decide which alerts meet an observation at all. Not every key
says as much: a rare name skeleton shared by a handful of alerts is strong evidence by itself,
while a common name within a birth-year band, a pair of common names, a place and month, or a
"rare" name that a crowd of alerts carries (as at a million active alerts) gather many alerts
that differ in everything else. An alert reached only through such weak keys is admitted only
when its cheap traits do not contradict the observation: sex not conflicting, birth estimates
no more than `BIRTH_SLACK_YEARS` apart. No alert is admitted whose child went missing after the
observation was made (the time veto, checked before any name is compared).

Alerts met through space-time keys alone (no name key shared) are bounded per observation:
space-time postings are read up to `SPACETIME_BUDGET` alerts, and of those admitted the
`SPACETIME_LIMIT` closest in age are kept (ties by alert id), so a place and month crowded with
alerts does not make every observation there cost more.

The traits live beside the index, so admission costs a dict look-up and a few comparisons per
alert, never a name comparison. Whether a key is weak depends on the size of its posting, so the
candidates remain a function of the set of alerts alone, never of their arrival order.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.index import (
    DEFAULT_BUDGET,
    Blocker,
    InvertedIndex,
    blocking_bands,
)
from services.correlator.domain.spacetime import TOLERANCE_HOURS

# A name key shared by more alerts than this is not selective enough to admit one alone.
STRONG_POSTING = 32
# Birth estimates further apart than this contradict each other (age assessments err by a few
# years; the scenario's true pairs are within three).
BIRTH_SLACK_YEARS = 3.0
_TOLERANCE_SECONDS = TOLERANCE_HOURS * 3600.0
_QUERY_CACHE = 200_000
# A name key shared by more alerts than this is looked up by sex and birth-year band instead.
REFINE_ABOVE = 64
_MAX_REFINED_BANDS = 3
# Alerts met through space-time keys alone (no name key shared) admitted per observation: a
# place and month hold a handful of such alerts on the routes, a crowd at a million alerts.
SPACETIME_LIMIT = 12
# Space-time postings are read (smallest first, whole) up to this many alerts in all.
SPACETIME_BUDGET = 24


@dataclass(frozen=True, slots=True)
class Traits:
    """What admission reads of a record: sex, birth interval, when the child went missing (for
    an alert) or was observed (for an observation)."""

    sex: str
    birth_low: float | None
    birth_high: float | None
    at: float | None

    @classmethod
    def of_alert(cls, features: RecordFeatures) -> Traits:
        return cls._of(features, features.spacetime.missing_since)

    @classmethod
    def of_observation(cls, features: RecordFeatures) -> Traits:
        return cls._of(features, features.spacetime.at)

    @classmethod
    def _of(cls, features: RecordFeatures, at: float | None) -> Traits:
        birth = features.birth
        if birth is None:
            return cls(features.sex, None, None, at)
        return cls(features.sex, birth.low, birth.high, at)


def time_vetoed(alert: Traits, obs: Traits) -> bool:
    """Observed before the child went missing (beyond the tolerance): never the same child."""
    return alert.at is not None and obs.at is not None and obs.at - alert.at < -_TOLERANCE_SECONDS


def compatible(alert: Traits, obs: Traits) -> bool:
    """Whether cheap traits allow the pair: sex not conflicting, birth estimates close."""
    if alert.sex != obs.sex and "unknown" not in (alert.sex, obs.sex):
        return False
    if alert.birth_low is None or obs.birth_low is None:
        return True
    assert alert.birth_high is not None and obs.birth_high is not None
    gap = max(alert.birth_low - obs.birth_high, obs.birth_low - alert.birth_high)
    return gap <= BIRTH_SLACK_YEARS


def strong_key(key: str) -> bool:
    """A name skeleton on its own (not a band, pair or space-time key; maybe refined)."""
    return not key.startswith("@") and "|" not in key and "&" not in key


def refinements(features: RecordFeatures, *, query: bool = False) -> tuple[str, ...] | None:
    """Suffixes refining a name key by sex and birth-year band: a crowded key (a common name
    among a million alerts) is looked up through them. A stored record whose age is unknown
    is refined by sex only ("*"), and a query also looks those up; a query whose age is unknown
    cannot be refined (None): it looks crowded keys up whole, within the budget."""
    bands = blocking_bands(features)
    sexes = ("f", "m") if features.sex not in ("female", "male") else (features.sex[0],)
    if bands and len(bands) <= _MAX_REFINED_BANDS:
        known = tuple(f"#{sex}{band}" for sex in sexes for band in bands)
        return known + tuple(f"#{sex}*" for sex in sexes) if query else known
    return None if query else tuple(f"#{sex}*" for sex in sexes)


@dataclass(slots=True)
class Selection:
    alerts: list[str]
    keys_skipped: int = 0  # keys whose postings did not fit the budget
    vetoed: int = 0  # by time
    refused: int = 0  # reached by weak keys only, and contradicted by cheap traits


# An observation's features, query keys (in no particular order), traits, refinements and the
# keys among its query keys that are name skeletons on their own (`strong_key`).
_Query = tuple[
    RecordFeatures, frozenset[str], Traits, tuple[str, ...] | None, frozenset[str]
]


class AlertIndex:
    """Alert ids by blocking key, each alert's traits, and the candidates of an observation."""

    __slots__ = ("_blocker", "_budget", "_index", "_traits", "_queries")

    def __init__(self, blocker: Blocker, budget: int = DEFAULT_BUDGET) -> None:
        self._blocker = blocker
        self._budget = budget
        self._index = InvertedIndex()
        self._traits: dict[str, Traits] = {}
        # An observation's query keys and traits, by the identity of its features (the entry
        # keeps them alive): an observation is often decided again.
        self._queries: dict[int, _Query] = {}

    def __len__(self) -> int:
        return len(self._index)

    def add(self, alert_id: str, features: RecordFeatures) -> None:
        keys = self._blocker.keys(features)
        suffixes = refinements(features) or ()
        refined = [key + suffix for key in keys if key[0] != "@" for suffix in suffixes]
        self._index.add(alert_id, (*keys, *refined))
        self._traits[alert_id] = Traits.of_alert(features)

    def remove(self, alert_id: str) -> None:
        self._index.remove(alert_id)
        self._traits.pop(alert_id, None)

    def _query(
        self, obs: RecordFeatures
    ) -> tuple[frozenset[str], Traits, tuple[str, ...] | None]:
        query = self._cached_query(obs)
        return query[1], query[2], query[3]

    def _cached_query(self, obs: RecordFeatures) -> _Query:
        query = self._queries.get(id(obs))
        if query is None or query[0] is not obs:
            if len(self._queries) >= _QUERY_CACHE:
                self._queries.clear()
            keys = self._blocker.query_keys(obs, "observation")
            query = (
                obs,
                keys,
                Traits.of_observation(obs),
                refinements(obs, query=True),
                # `strong_key`, written out: an observation has up to a few hundred keys.
                frozenset(k for k in keys if k[:1] != "@" and "|" not in k and "&" not in k),
            )
            self._queries[id(obs)] = query
        return query

    def _postings(self, obs: RecordFeatures) -> list[tuple[int, str, list[str]]]:
        """(size, key, posting) of the observation's keys, smallest first (ties by key); a
        crowded name key is replaced by its postings for the observation's sex and bands."""
        keys, _, suffixes = self._query(obs)
        found: list[tuple[int, str, list[str]]] = []
        postings = self._index.postings
        posting_of = postings.get
        # Most query keys (space-time ones) have no posting: the intersection skips them in C.
        for key in postings.keys() & keys:
            posting = postings[key]
            if suffixes is not None and len(posting) > REFINE_ABOVE and key[0] != "@":
                for suffix in suffixes:
                    refined = posting_of(key + suffix)
                    if refined is not None:
                        found.append((len(refined), key + suffix, refined))
            else:
                found.append((len(posting), key, posting))
        # By size, then key: keys are distinct, so the postings themselves are never compared.
        found.sort()
        return found

    def may_admit(
        self, alert: RecordFeatures, obs: RecordFeatures, alert_id: str | None = None
    ) -> bool:
        """False only when `select(obs)` cannot return an alert described by `alert` (the
        indexed alert `alert_id`, or an alert as it was before an update): it is vetoed by time,
        or contradicted by cheap traits and shares no name key. Errs towards True (a name key
        shared by a crowd would not admit it)."""
        _, _, obs_traits, _, names = self._cached_query(obs)
        traits = Traits.of_alert(alert)
        if time_vetoed(traits, obs_traits):
            return False
        if compatible(traits, obs_traits):
            return True
        keys = self._index.keys_of(alert_id) if alert_id else self._blocker.keys(alert)
        return any(key in names for key in keys)

    def select(self, obs: RecordFeatures, *, refuse: bool = True) -> Selection:
        """Alerts sharing a key with the observation (smallest postings first, whole postings
        within the budget, as `InvertedIndex.candidates`), less the time-vetoed ones and (when
        `refuse`) those reached by weak keys only whose traits contradict the observation's and
        those met through space-time keys alone beyond the closest `SPACETIME_LIMIT`."""
        _, obs_traits, _ = self._query(obs)
        budget = self._budget
        # alert id -> reached by a strong key (True), by a weak name key only (False), by
        # space-time keys only (None)
        admitted: dict[str, bool | None] = {}
        skipped = nameless = 0
        # Fitting (`refuse` off) sees every alert the keys reach, as it sees refused ones.
        spacetime_budget = SPACETIME_BUDGET if refuse else budget
        for _, key, posting in self._postings(obs):
            if len(posting) > budget or (admitted and len(admitted) + len(posting) > budget):
                skipped += 1
                continue
            if key[0] == "@":
                if nameless and nameless + len(posting) > spacetime_budget:
                    skipped += 1
                    continue
                nameless += len(posting)
                for alert_id in posting:
                    admitted.setdefault(alert_id, None)
            elif len(posting) <= STRONG_POSTING and strong_key(key):
                admitted.update(dict.fromkeys(posting, True))
            else:
                for alert_id in posting:
                    if admitted.get(alert_id) is None:
                        admitted[alert_id] = False
        selection = Selection([], skipped)
        traits = self._traits
        # (distance in age, alert id) of the admitted alerts met through space-time keys alone
        ranked: list[tuple[float, str]] = []
        # `time_vetoed` and `compatible`, written out: this loop meets every admitted alert.
        at = obs_traits.at
        sex, low, high = obs_traits.sex, obs_traits.birth_low, obs_traits.birth_high
        alerts = selection.alerts
        for alert_id, strong in admitted.items():
            alert = traits[alert_id]
            if at is not None and alert.at is not None and at - alert.at < -_TOLERANCE_SECONDS:
                selection.vetoed += 1
            elif (
                strong
                or not refuse
                or (
                    (alert.sex == sex or alert.sex == "unknown" or sex == "unknown")
                    and (
                        # Both ends of an interval are known or neither is (`Traits._of`).
                        alert.birth_low is None
                        or alert.birth_high is None
                        or low is None
                        or high is None
                        or max(alert.birth_low - high, low - alert.birth_high) <= BIRTH_SLACK_YEARS
                    )
                )
            ):
                alerts.append(alert_id)
                if strong is None:
                    # Ranked here, while the alert's traits are at hand (`_closest`).
                    if alert.birth_low is None or low is None:
                        ranked.append((BIRTH_SLACK_YEARS, alert_id))
                    else:
                        assert alert.birth_high is not None and high is not None
                        centre = (alert.birth_low + alert.birth_high - low - high) / 2
                        ranked.append((abs(centre), alert_id))
            else:
                selection.refused += 1
        if refuse and len(ranked) > SPACETIME_LIMIT:
            selection.alerts = _closest(alerts, admitted, ranked)
        return selection


def _closest(
    alerts: list[str], admitted: dict[str, bool | None], ranked: list[tuple[float, str]]
) -> list[str]:
    """`alerts` keeping, of those met through space-time keys only (`ranked`, each with the
    distance between its birth estimate's centre and the observation's, in years), the
    `SPACETIME_LIMIT` closest in age (ties by alert id): a place and month crowded with
    alerts must not make every observation there cost more."""
    kept = {alert_id for _, alert_id in heapq.nsmallest(SPACETIME_LIMIT, ranked)}
    return [a for a in alerts if admitted[a] is not None or a in kept]
