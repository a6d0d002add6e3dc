"""The correlator's use cases: keep alert and observation state, match both ways, propose.

Each use case applies one event inside one transaction of the store (the consumer runner claims
the event in the inbox in that same transaction), and the proposals it makes are emitted
through the store's outbox, so state, proposals and the consumed offset move together.

Several instances share one consumer group, so each holds only some partitions, yet every
observation must meet every active alert. Each instance therefore keeps the full index of
active alerts in memory and catches it up from the stored alerts at the start of every use
case. Alert changes take the index lock exclusively and observations share it: an observation
is matched either by the alert index (the alert committed first) or by the alert's backfill
query (the observation committed first), never by neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from services.common.errors import RejectEvent
from services.common.logging import get_logger
from services.correlator.domain.engine import MatchEngine, Proposal
from services.correlator.domain.model import (
    ObservationKind,
    parse_alert,
    parse_observation,
    parse_time,
)
from services.correlator.proposals import proposal_event
from services.correlator.repository import CorrelatorTransaction, MatchRecord

log = get_logger(__name__)
# Clock skew between a last-seen report and an observation's time stamp.
BACKFILL_TOLERANCE = timedelta(hours=1)


class CorrelatorHandlers:
    """Owns the in-memory engine of one instance and applies events to it and to the store."""

    def __init__(self, engine: MatchEngine, max_backfill: int) -> None:
        self.engine = engine
        self._max_backfill = max_backfill
        self._applied_seq = 0

    async def load(self, tx: CorrelatorTransaction) -> None:
        """Rebuild the in-memory index and the rejected pairs from the store (on start)."""
        await self._catch_up(tx)
        for alert_id, obs_type, obs_id in await tx.all_rejected():
            self.engine.reject_pair(alert_id, obs_type, obs_id)
        log.info("alert index loaded", active_alerts=self.engine.active_alerts)

    async def alert_published(
        self, data: dict[str, Any], published_at: datetime, tx: CorrelatorTransaction
    ) -> None:
        await self._begin(tx, alert_change=True)
        alert = parse_alert(data)
        if not await tx.insert_alert(alert.alert_id, data, published_at, alert.last_seen_at):
            return  # the same alert published twice (a retried request): nothing new
        await self._catch_up(tx)
        await self._backfill(alert.alert_id, tx)

    async def alert_updated(self, data: dict[str, Any], tx: CorrelatorTransaction) -> None:
        await self._begin(tx, alert_change=True)
        changes = data["changes"]
        seen = changes.get("last_seen") if isinstance(changes, dict) else None
        last_seen_at = parse_time(seen.get("at")) if isinstance(seen, dict) else None
        if not await tx.update_alert(data["alert_id"], changes, last_seen_at):
            log.info("update of an unknown or resolved alert ignored", alert_id=data["alert_id"])
            return
        await self._catch_up(tx)
        await self._backfill(data["alert_id"], tx)

    async def alert_resolved(self, data: dict[str, Any], tx: CorrelatorTransaction) -> None:
        await self._begin(tx, alert_change=True)
        if await tx.resolve_alert(data["alert_id"], data["resolution"]):
            await self._catch_up(tx)

    async def observation_reported(
        self,
        kind: ObservationKind,
        data: dict[str, Any],
        reported_at: datetime,
        tx: CorrelatorTransaction,
    ) -> None:
        await self._begin(tx, alert_change=False)
        obs = parse_observation(kind, data)
        observed_at = obs.time or reported_at
        keys = self.engine.observation_blocking_keys(obs)
        if not await tx.insert_observation(kind, obs.obs_id, observed_at, data, keys):
            return
        await self._propose(self.engine.match_parsed_observation(obs), tx)

    async def match_reviewed(self, data: dict[str, Any], tx: CorrelatorTransaction) -> None:
        at = parse_time(data.get("at"))
        if at is None:
            raise RejectEvent("review without a usable time")
        await self._begin(tx, alert_change=False)
        observation = data["observation"]
        await tx.record_review(
            match_id=data["match_id"],
            alert_id=data["alert_id"],
            obs_type=observation["type"],
            obs_id=observation["id"],
            decision=data["decision"],
            at=at,
        )
        if data["decision"] == "rejected":
            self.engine.reject_pair(data["alert_id"], observation["type"], observation["id"])

    async def _begin(self, tx: CorrelatorTransaction, *, alert_change: bool) -> None:
        await tx.lock_alert_index(exclusive=alert_change)
        await self._catch_up(tx)

    async def _catch_up(self, tx: CorrelatorTransaction) -> None:
        for change in await tx.alert_changes_since(self._applied_seq):
            if change.status == "active":
                self.engine.apply_alert_published(change.data, change.published_at)
            else:
                self.engine.apply_alert_resolved({"alert_id": change.alert_id})
            self._applied_seq = change.change_seq

    async def _backfill(self, alert_id: str, tx: CorrelatorTransaction) -> None:
        alert = self.engine.alert(alert_id)
        if alert is None:
            return
        since = alert.last_seen_at - BACKFILL_TOLERANCE if alert.last_seen_at else None
        keys = self.engine.alert_blocking_keys(alert)
        rows = await tx.candidate_observations(keys, since, self._max_backfill)
        observations = [parse_observation(kind, data) for kind, data in rows]  # type: ignore[arg-type]
        await self._propose(self.engine.match_alert(alert_id, observations), tx)

    async def _propose(self, proposals: Sequence[Proposal], tx: CorrelatorTransaction) -> None:
        if not proposals:
            return
        pairs = [(p.alert_id, p.observation_type, p.observation_id) for p in proposals]
        rejected = await tx.rejected_among(pairs)
        stored = await tx.stored_matches([p.match_id for p in proposals])
        for proposal in proposals:
            if (proposal.alert_id, proposal.observation_type, proposal.observation_id) in rejected:
                continue
            previous = stored.get(proposal.match_id)
            if previous is not None and (
                previous.review is not None or abs(previous.score - proposal.score) < 1e-6
            ):
                continue  # reviewed already, or a replay that scores the same: nothing new
            revision = 1 if previous is None else previous.revision + 1
            await tx.save_match(
                MatchRecord(
                    match_id=proposal.match_id,
                    alert_id=proposal.alert_id,
                    obs_type=proposal.observation_type,
                    obs_id=proposal.observation_id,
                    revision=revision,
                    score=proposal.score,
                    explanation=proposal.explanation,
                    engine_version=proposal.engine_version,
                )
            )
            await tx.emit(proposal_event(proposal, revision))
            log.info(
                "match proposed",
                match_id=proposal.match_id,
                revision=revision,
                alert_id=proposal.alert_id,
                observation_id=proposal.observation_id,
                score=proposal.score,
            )
