"""The correlator's use cases: keep alert and observation state, match both ways, propose.

Every handler runs inside the consumer runner's transaction (inbox claimed there too), and the
proposals it makes go to the outbox in that same transaction.

Several instances share one consumer group, so each holds only some partitions, yet every
observation must meet every active alert. Each instance therefore keeps the full index of
active alerts in memory and catches it up from the `alerts` table at the start of every
handler. Alert changes take an exclusive advisory lock and observations a shared one: an
observation is matched either by the alert index (the alert committed first) or by the alert's
backfill query (the observation committed first), never by neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg

from services.common.config import CommonSettings
from services.common.consumer import RejectEvent
from services.common.envelope import CloudEvent, new_event
from services.common.logging import get_logger
from services.common.outbox import enqueue
from services.common.schema_registry import SchemaRegistry
from services.common.topics import MATCHES
from services.correlator import repository as repo
from services.correlator.domain.engine import (
    MatchEngine,
    Proposal,
    alert_blocking_keys,
    observation_blocking_keys,
)
from services.correlator.domain.model import (
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_UPDATED,
    MATCH_PROPOSED,
    MATCH_REVIEWED,
    OBSERVATION_EVENT_KINDS,
    parse_alert,
    parse_observation,
    parse_time,
)
from services.correlator.proposals import SOURCE, proposal_data, proposal_event_id

log = get_logger(__name__)
LOCK_KEY = 0x6B696E6C696E6B  # "kinlink": the alert/observation matching lock
# Clock skew between a last-seen report and an observation's time stamp.
BACKFILL_TOLERANCE = timedelta(hours=1)
ALERT_TYPES = {ALERT_PUBLISHED, ALERT_UPDATED, ALERT_RESOLVED}


class Correlator:
    """Owns the in-memory engine of one instance and applies events to it and to the DB."""

    def __init__(
        self,
        engine: MatchEngine,
        settings: CommonSettings,
        max_backfill: int,
        registry: SchemaRegistry,
    ) -> None:
        self.engine = engine
        self._settings = settings
        self._registry = registry
        self._max_backfill = max_backfill
        self._applied_seq = 0

    async def load(self, conn: asyncpg.Connection) -> None:
        """Rebuild the in-memory index from the database (on start)."""
        await self._catch_up(conn)
        for alert_id, obs_type, obs_id in await repo.all_rejected(conn):
            self.engine.reject_pair(alert_id, obs_type, obs_id)
        log.info("alert index loaded", active_alerts=self.engine.active_alerts)

    async def handle(self, event: CloudEvent, conn: asyncpg.Connection) -> None:
        lock = (
            "pg_advisory_xact_lock" if event.type in ALERT_TYPES else "pg_advisory_xact_lock_shared"
        )
        await conn.execute(f"SELECT {lock}($1)", LOCK_KEY)
        await self._catch_up(conn)
        data: dict[str, Any] = event.data
        if event.type == ALERT_PUBLISHED:
            await self._alert_published(event, data, conn)
        elif event.type == ALERT_UPDATED:
            await self._alert_updated(data, conn)
        elif event.type == ALERT_RESOLVED:
            if await repo.resolve_alert(conn, data["alert_id"], data["resolution"]):
                await self._catch_up(conn)
        elif event.type in OBSERVATION_EVENT_KINDS:
            await self._observation(OBSERVATION_EVENT_KINDS[event.type], event, data, conn)
        elif event.type == MATCH_REVIEWED:
            await self._reviewed(data, conn)
        # Other types (our own match.proposed) carry nothing for the correlator to apply.

    async def _catch_up(self, conn: asyncpg.Connection) -> None:
        for change in await repo.alert_changes_since(conn, self._applied_seq):
            if change.status == "active":
                self.engine.apply_alert_published(change.data, change.published_at)
            else:
                self.engine.apply_alert_resolved({"alert_id": change.alert_id})
            self._applied_seq = change.change_seq

    async def _alert_published(
        self, event: CloudEvent, data: dict[str, Any], conn: asyncpg.Connection
    ) -> None:
        alert = parse_alert(data)
        if not await repo.insert_alert(conn, alert.alert_id, data, event.time, alert.last_seen_at):
            return  # the same alert published twice (a retried request): nothing new
        await self._catch_up(conn)
        await self._backfill(alert.alert_id, conn)

    async def _alert_updated(self, data: dict[str, Any], conn: asyncpg.Connection) -> None:
        changes = data["changes"]
        seen = changes.get("last_seen") if isinstance(changes, dict) else None
        last_seen_at = parse_time(seen.get("at")) if isinstance(seen, dict) else None
        if not await repo.update_alert(conn, data["alert_id"], changes, last_seen_at):
            log.info("update of an unknown or resolved alert ignored", alert_id=data["alert_id"])
            return
        await self._catch_up(conn)
        await self._backfill(data["alert_id"], conn)

    async def _observation(
        self, kind: str, event: CloudEvent, data: dict[str, Any], conn: asyncpg.Connection
    ) -> None:
        obs = parse_observation(kind, data)  # type: ignore[arg-type]
        observed_at = obs.time or event.time
        keys = observation_blocking_keys(obs)
        if not await repo.insert_observation(conn, kind, obs.obs_id, observed_at, data, keys):
            return
        await self._propose(self.engine.match_parsed_observation(obs), conn)

    async def _backfill(self, alert_id: str, conn: asyncpg.Connection) -> None:
        alert = self.engine.alert(alert_id)
        if alert is None:
            return
        since = alert.last_seen_at - BACKFILL_TOLERANCE if alert.last_seen_at else None
        rows = await repo.candidate_observations(
            conn, alert_blocking_keys(alert), since, self._max_backfill
        )
        observations = [parse_observation(kind, data) for kind, data in rows]  # type: ignore[arg-type]
        await self._propose(self.engine.match_alert(alert_id, observations), conn)

    async def _reviewed(self, data: dict[str, Any], conn: asyncpg.Connection) -> None:
        at = parse_time(data.get("at"))
        if at is None:
            raise RejectEvent("review without a usable time")
        observation = data["observation"]
        await repo.record_review(
            conn,
            match_id=data["match_id"],
            alert_id=data["alert_id"],
            obs_type=observation["type"],
            obs_id=observation["id"],
            decision=data["decision"],
            at=at,
        )
        if data["decision"] == "rejected":
            self.engine.reject_pair(data["alert_id"], observation["type"], observation["id"])

    async def _propose(self, proposals: Sequence[Proposal], conn: asyncpg.Connection) -> None:
        if not proposals:
            return
        pairs = [(p.alert_id, p.observation_type, p.observation_id) for p in proposals]
        rejected = await repo.rejected_among(conn, pairs)
        stored = await repo.stored_matches(conn, [p.match_id for p in proposals])
        for proposal in proposals:
            if (proposal.alert_id, proposal.observation_type, proposal.observation_id) in rejected:
                continue
            previous = stored.get(proposal.match_id)
            if previous is not None and (
                previous.review is not None or abs(previous.score - proposal.score) < 1e-6
            ):
                continue  # reviewed already, or a replay that scores the same: nothing new
            revision = 1 if previous is None else previous.revision + 1
            await repo.upsert_match(
                conn,
                match_id=proposal.match_id,
                alert_id=proposal.alert_id,
                obs_type=proposal.observation_type,
                obs_id=proposal.observation_id,
                revision=revision,
                score=proposal.score,
                explanation=proposal.explanation,
                engine_version=proposal.engine_version,
            )
            event = new_event(
                MATCH_PROPOSED,
                SOURCE,
                proposal.match_id,
                proposal_data(proposal, revision),
                event_id=proposal_event_id(proposal.match_id, revision),
            )
            await enqueue(
                conn, repo.SCHEMA, event, self._settings.topic(MATCHES), registry=self._registry
            )
            log.info(
                "match proposed",
                match_id=proposal.match_id,
                revision=revision,
                alert_id=proposal.alert_id,
                observation_id=proposal.observation_id,
                score=proposal.score,
            )
