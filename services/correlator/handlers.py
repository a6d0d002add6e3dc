"""The correlator's use cases: keep alert and observation state, decide, propose and withdraw.

Each use case applies one event inside one transaction of the store (the consumer runner claims
the event in the inbox in that same transaction), and what it says about matches (proposed,
withdrawn) goes out through the store's outbox, so state, events and the consumed offset move
together.

Several instances share one consumer group, so each holds only some partitions, yet every
observation must meet every alert. Each instance therefore keeps the full index of alerts in
memory and catches it up from the stored alerts at the start of every use case. Alert changes
take the index lock exclusively and observations share it: an observation is decided either
with the alert in the index (the alert committed first) or again by the alert's backfill (the
observation committed first). Whatever the order, each observation ends decided against the
final set of alerts, which is what `kinlink match` computes offline.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from services.common.audit import AuditEntry
from services.common.errors import RejectEvent
from services.common.instants import plausible
from services.common.logging import get_logger
from services.correlator.domain.conflicts import Standing
from services.correlator.domain.decisions import (
    MatchState,
    reconcile,
    withdraw_erased,
)
from services.correlator.domain.engine import (
    MatchEngine,
    backfill_since,
    observation_features,
)
from services.correlator.domain.features import RecordFeatures
from services.correlator.domain.model import (
    Alert,
    Observation,
    ObservationKind,
    parse_alert,
    parse_observation,
    parse_time,
)
from services.correlator.repository import (
    CorrelatorTransaction,
    ErasureTransaction,
)
from services.correlator.saving import save_action
from services.correlator.standing import StandingLookup
from services.correlator.standing import ref_of as _ref

log = get_logger(__name__)


class CorrelatorHandlers:
    """Owns the in-memory engine of one instance and applies events to it and to the store."""

    def __init__(self, engine: MatchEngine, max_backfill: int) -> None:
        self.engine = engine
        self._max_backfill = max_backfill
        self._applied_seq = 0
        self._lookup = StandingLookup(engine, max_backfill)

    async def load(self, tx: CorrelatorTransaction) -> None:
        """Rebuild the in-memory index of alerts from the store (on start)."""
        await self._catch_up(tx)
        log.info("alert index loaded", active_alerts=self.engine.active_alerts)

    async def alert_published(
        self, data: dict[str, Any], published_at: datetime, tx: CorrelatorTransaction
    ) -> None:
        await self._begin(tx, alert_change=True)
        alert = parse_alert(data)
        if not await tx.insert_alert(alert.alert_id, data, published_at, alert.last_seen_at):
            return  # the same alert published twice (a retried request): nothing new
        await self._catch_up(tx)
        await self._alert_changed(alert.alert_id, None, tx)

    async def alert_updated(self, data: dict[str, Any], tx: CorrelatorTransaction) -> None:
        await self._begin(tx, alert_change=True)
        changes = data["changes"]
        seen = changes.get("last_seen") if isinstance(changes, dict) else None
        last_seen_at = parse_time(seen.get("at")) if isinstance(seen, dict) else None
        before = self.engine.alert_features(data["alert_id"])
        if not await tx.update_alert(data["alert_id"], changes, last_seen_at):
            log.info("update of an unknown or resolved alert ignored", alert_id=data["alert_id"])
            return
        await self._catch_up(tx)
        await self._alert_changed(data["alert_id"], before, tx)

    async def alert_resolved(self, data: dict[str, Any], tx: CorrelatorTransaction) -> None:
        await self._begin(tx, alert_change=True)
        resolved_at = parse_time(data.get("at"))
        if await tx.resolve_alert(data["alert_id"], data["resolution"], resolved_at):
            await self._catch_up(tx)
            await self._alert_changed(data["alert_id"], None, tx)

    async def observation_reported(
        self,
        kind: ObservationKind,
        data: dict[str, Any],
        reported_at: datetime,
        tx: CorrelatorTransaction,
    ) -> None:
        await self._begin(tx, alert_change=False)
        obs = parse_observation(kind, data)
        observed_at = obs.time or plausible(reported_at)
        if observed_at is None:
            raise RejectEvent("the observation has no time between 1900 and 2200")
        features = observation_features(obs)
        keys = self.engine.observation_blocking_keys(obs)
        if not await tx.insert_observation(kind, obs.obs_id, observed_at, data, keys):
            return
        await tx.count_name_tokens([token.key for token in features.names.core])
        await self._decide([obs], tx)

    async def match_reviewed(self, data: dict[str, Any], tx: CorrelatorTransaction) -> None:
        at = parse_time(data.get("at"))
        if at is None:
            raise RejectEvent("review without a usable time")
        await self._begin(tx, alert_change=False)
        ref = data["observation"]
        stored = await tx.observation(ref["type"], ref["id"])
        obs = parse_observation(ref["type"], stored) if stored is not None else None
        alert = self.engine.alert_features(data["alert_id"])
        levels = self._levels(alert, obs)
        await tx.record_review(
            match_id=data["match_id"],
            alert_id=data["alert_id"],
            obs_type=ref["type"],
            obs_id=ref["id"],
            decision=data["decision"],
            at=at,
            levels=levels,
            engine_version=self.engine.engine_version if levels else None,
        )
        if obs is not None:
            await self._decide([obs], tx)

    async def record_erased(
        self, record_type: str, data: dict[str, Any], event_id: str, tx: ErasureTransaction
    ) -> None:
        """Intake erased a record's personal data: erase what the correlator keeps of it (an
        alert also leaves the in-memory index of every instance), withdraw its live proposals,
        decide again what it competed with or held back, and audit it."""
        record_id = str(data[f"{record_type}_id"])
        at = parse_time(data.get("erased_at"))
        if at is None:
            raise RejectEvent("erasure without a usable time")
        await self._begin(tx, alert_change=record_type == "alert")
        if record_type == "alert":
            erased = await self._erase_alert(record_id, at, tx)
        else:
            erased = await self._erase_observation(record_type, record_id, at, tx)
        if erased:
            await tx.append_audit([AuditEntry.system(
                "erasure", f"{record_type}.erase", record_type, record_id, event_id,
                {"reason": data.get("reason")},
            )])
            log.info("record erased", record_type=record_type, record_id=record_id)

    async def _erase_alert(self, alert_id: str, at: datetime, tx: ErasureTransaction) -> bool:
        alert = self.engine.alert(alert_id)
        before = self.engine.alert_features(alert_id)
        if not await tx.erase_alert(alert_id, at):
            return False
        await self._catch_up(tx)
        refs = await tx.live_match_observations(alert_id)
        for ref, states in (await tx.match_states(refs)).items():
            version = self.engine.engine_version
            for action in withdraw_erased(states, ref[0], ref[1], version, alert_id):
                await save_action(action, tx)
        if alert is not None:
            await self._redecide_around(alert, before, tx)
        return True

    async def _erase_observation(
        self, kind: str, obs_id: str, at: datetime, tx: ErasureTransaction
    ) -> bool:
        stored = await tx.observation(kind, obs_id)
        if stored is None:
            return False
        obs = parse_observation(kind, stored)  # type: ignore[arg-type]
        states = (await tx.match_states([_ref(obs)]))[_ref(obs)]
        # What it held back: what it conflicts with for the alerts it stood out for.
        involved = set(await tx.standing_alerts(_ref(obs)))
        involved.update(s.alert_id for s in states.values() if s.stands_out)
        others = await self._lookup.to_settle(obs, involved, tx)
        if not await tx.erase_observation(kind, obs_id, at):
            return False
        for action in withdraw_erased(states, kind, obs_id, self.engine.engine_version):
            await save_action(action, tx)
        await self._decide(others, tx)
        return True

    def _levels(
        self, alert: RecordFeatures | None, obs: Observation | None
    ) -> dict[str, str] | None:
        """The comparison levels the engine sees for a reviewed pair (kept to refit)."""
        if alert is None or obs is None:
            return None
        return self.engine.compare_pair(alert, observation_features(obs)).levels

    async def _begin(self, tx: CorrelatorTransaction, *, alert_change: bool) -> None:
        await tx.lock_alert_index(exclusive=alert_change)
        await self._catch_up(tx)

    async def _catch_up(self, tx: CorrelatorTransaction) -> None:
        for change in await tx.alert_changes_since(self._applied_seq):
            if change.erased:
                self.engine.remove_alert(change.alert_id)
                self._applied_seq = change.change_seq
                continue
            self.engine.apply_alert_published(change.data, change.published_at)
            if change.status != "active":
                self.engine.apply_alert_resolved({"alert_id": change.alert_id}, change.resolved_at)
            self._applied_seq = change.change_seq

    async def _alert_changed(
        self, alert_id: str, before: RecordFeatures | None, tx: CorrelatorTransaction
    ) -> None:
        """Re-decide the stored observations whose decision the alert's change can alter."""
        alert = self.engine.alert(alert_id)
        if alert is not None:
            await self._redecide_around(alert, before, tx)

    async def _redecide_around(
        self, alert: Alert, before: RecordFeatures | None, tx: CorrelatorTransaction
    ) -> None:
        """Re-decide the stored observations the alert (as it is now, or as `before`, when it
        changed or left the index) may compete for."""
        keys = set(self.engine.alert_blocking_keys(alert))
        if before is not None:
            keys.update(self.engine.features_blocking_keys(before))
        rows = await tx.candidate_observations(
            sorted(keys), backfill_since(alert), self._max_backfill
        )
        observations = [parse_observation(kind, data) for kind, data in rows]  # type: ignore[arg-type]
        states = await tx.match_states([_ref(o) for o in observations])
        alert_id = alert.alert_id
        affected = [
            o
            for o in observations
            if self.engine.needs_decision(alert_id, before, o, _live(states.get(_ref(o), {})))
        ]
        await self._decide(affected, tx)

    async def _decide(
        self,
        observations: Sequence[Observation],
        tx: CorrelatorTransaction,
        *,
        settle: bool = True,
    ) -> None:
        """Decide and reconcile each observation; then (`settle`) the stored observations it
        conflicts with, whose alert may be kept or held back now (see `standing`)."""
        if not observations:
            return
        reviews = await tx.reviews_for([_ref(o) for o in observations])
        for obs in sorted(observations, key=_ref):
            decision, confirmed = self._lookup.decision(obs, reviews.get(_ref(obs), {}))
            # Re-read: settling an earlier observation of the batch may have changed these.
            current = (await tx.match_states([_ref(obs)])).get(_ref(obs), {})
            involved = {p.alert_id for p in decision.winners}
            involved.update(s.alert_id for s in current.values() if s.stands_out)
            # What else these alerts stand out for is read and written under their locks.
            await tx.lock_alerts(sorted(involved))
            await tx.save_standing(
                _ref(obs), [(p.alert_id, p.match_id, p.score) for p in decision.winners]
            )
            # Settling asks for the same alerts' other children: read once (no standing of
            # theirs changes in between).
            seen: dict[str, list[tuple[Observation, Standing]]] = {}
            standing = await self._lookup.standing(obs, decision, tx, seen)
            actions = reconcile(decision, current, self.engine.is_active, standing, confirmed)
            for action in actions:
                await save_action(action, tx)
            if settle:
                await self._decide(
                    await self._lookup.to_settle(obs, involved, tx, seen), tx, settle=False
                )


def _live(states: dict[str, MatchState]) -> Collection[str]:
    return [s.alert_id for s in states.values() if s.live]
