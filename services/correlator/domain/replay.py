"""Drive a MatchEngine from structured CloudEvents in order, as `kinlink match` does.

Observations are kept in memory with their blocking keys so that a newly published or updated
alert is backfilled against the observations seen before it.  Each proposal carries a revision:
1 the first time a pair is proposed, +1 whenever an alert update rescoring keeps it proposed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    MATCH_PROPOSED,
    MATCH_REVIEWED,
)
from services.correlator.domain.engine import MatchEngine, Proposal
from services.correlator.domain.index import InvertedIndex
from services.correlator.domain.model import (
    OBSERVATION_EVENT_KINDS,
    Observation,
    parse_observation,
    parse_time,
)

BACKFILL_BUDGET = 300


@dataclass(frozen=True, slots=True)
class RevisedProposal:
    proposal: Proposal
    revision: int
    event_time: datetime


class Replayer:
    """Feeds events to the engine; yields revised proposals; counts event types."""

    def __init__(self, engine: MatchEngine) -> None:
        self.engine = engine
        self.counts: Counter[str] = Counter()
        self._observations: dict[str, Observation] = {}
        self._obs_index = InvertedIndex()
        self._revisions: dict[str, int] = {}

    def _revise(
        self, proposals: list[Proposal], time: datetime
    ) -> Iterator[RevisedProposal]:
        for proposal in proposals:
            revision = self._revisions.get(proposal.match_id, 0) + 1
            self._revisions[proposal.match_id] = revision
            yield RevisedProposal(proposal, revision, time)

    def _backfill(self, alert_id: str) -> list[Proposal]:
        alert = self.engine.alert(alert_id)
        if alert is None:
            return []
        found, _ = self._obs_index.candidates(
            self.engine.alert_blocking_keys(alert), BACKFILL_BUDGET
        )
        return self.engine.match_alert(alert_id, (self._observations[k] for k in found))

    def feed(self, event: dict[str, Any]) -> Iterator[RevisedProposal]:
        kind = event.get("type")
        data = event.get("data")
        time = parse_time(event.get("time"))
        if not isinstance(kind, str) or not isinstance(data, dict) or time is None:
            self.counts["malformed"] += 1
            return
        self.counts[kind] += 1
        if kind == ALERT_PUBLISHED:
            alert = self.engine.apply_alert_published(data, time)
            yield from self._revise(self._backfill(alert.alert_id), time)
        elif kind == ALERT_UPDATED:
            updated = self.engine.apply_alert_updated(data)
            if updated is not None:
                yield from self._revise(self._backfill(updated.alert_id), time)
        elif kind == ALERT_RESOLVED:
            self.engine.apply_alert_resolved(data)
        elif kind in OBSERVATION_EVENT_KINDS:
            obs = parse_observation(OBSERVATION_EVENT_KINDS[kind], data)
            key = f"{obs.kind}/{obs.obs_id}"
            self._observations[key] = obs
            self._obs_index.add(key, self.engine.observation_blocking_keys(obs))
            yield from self._revise(self.engine.match_parsed_observation(obs), time)
        elif kind == MATCH_REVIEWED:
            obs_ref = data.get("observation")
            if data.get("decision") == "rejected" and isinstance(obs_ref, dict):
                self.engine.reject_pair(
                    str(data.get("alert_id")), str(obs_ref.get("type")), str(obs_ref.get("id"))
                )
        elif kind != MATCH_PROPOSED:
            self.counts["ignored"] += 1

    def run(self, events: Iterable[dict[str, Any]]) -> Iterator[RevisedProposal]:
        for event in events:
            yield from self.feed(event)
