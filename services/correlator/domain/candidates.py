"""Candidate alerts for an observation: the engine's alert index and its cheap admission rules.

Blocking keys (`index.Blocker`) decide which alerts meet an observation at all. Not every key
says as much: a rare name skeleton shared by a handful of alerts is strong evidence by itself,
while a common name within a birth-year band, a pair of common names, a place and month, or a
"rare" name that a crowd of alerts carries (as at a million active alerts) gather many alerts
that differ in everything else. An alert reached only through such weak keys is admitted only
when its cheap traits do not contradict the observation: sex not conflicting, birth estimates
no more than `BIRTH_SLACK_YEARS` apart. No alert is admitted whose child went missing after the
observation was made (the time veto, checked before any name is compared).

The traits live beside the index, so admission costs a dict look-up and a few comparisons per
alert, never a name comparison. Whether a key is weak depends on the size of its posting, so the
candidates remain a function of the set of alerts alone, never of their arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.index import DEFAULT_BUDGET, InvertedIndex
from services.correlator.domain.spacetime import TOLERANCE_HOURS

# A name key shared by more alerts than this is not selective enough to admit one alone.
STRONG_POSTING = 32
# Birth estimates further apart than this contradict each other (age assessments err by a few
# years; the scenario's true pairs are within three).
BIRTH_SLACK_YEARS = 3.0
_TOLERANCE_SECONDS = TOLERANCE_HOURS * 3600.0


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
    """A name skeleton on its own (not a band, pair or space-time key)."""
    return not key.startswith("@") and "|" not in key and "&" not in key


@dataclass(slots=True)
class Selection:
    alerts: list[str]
    keys_skipped: int = 0  # keys whose postings did not fit the budget
    vetoed: int = 0  # by time
    refused: int = 0  # reached by weak keys only, and contradicted by cheap traits


class AlertIndex:
    """Alert ids by blocking key, and each alert's traits."""

    __slots__ = ("_index", "_traits")

    def __init__(self) -> None:
        self._index = InvertedIndex()
        self._traits: dict[str, Traits] = {}

    def __len__(self) -> int:
        return len(self._index)

    def add(self, alert_id: str, keys: Iterable[str], features: RecordFeatures) -> None:
        self._index.add(alert_id, keys)
        self._traits[alert_id] = Traits.of_alert(features)

    def remove(self, alert_id: str) -> None:
        self._index.remove(alert_id)
        self._traits.pop(alert_id, None)

    def candidates(
        self, keys: Iterable[str], obs: Traits, budget: int = DEFAULT_BUDGET
    ) -> Selection:
        """Alerts sharing a key with the observation (smallest postings first, whole postings
        within `budget`, as `InvertedIndex.candidates`), less the time-vetoed ones and those
        reached by weak keys only whose traits contradict the observation's."""
        ranked = self._index.ranked_postings(keys)
        admitted: dict[str, bool] = {}  # alert id -> reached by a strong key
        skipped = 0
        for key, posting in ranked:
            if len(posting) > budget or (admitted and len(admitted) + len(posting) > budget):
                skipped += 1
                continue
            if len(posting) <= STRONG_POSTING and strong_key(key):
                admitted.update(dict.fromkeys(posting, True))
            else:
                for alert_id in posting:
                    admitted.setdefault(alert_id, False)
        selection = Selection([], skipped)
        traits = self._traits
        for alert_id, strong in admitted.items():
            alert = traits[alert_id]
            if time_vetoed(alert, obs):
                selection.vetoed += 1
            elif strong or compatible(alert, obs):
                selection.alerts.append(alert_id)
            else:
                selection.refused += 1
        return selection
