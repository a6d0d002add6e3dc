"""Which observations an alert's proposal for one observation must be weighed against, read
from the store: one alert, one child (`domain.conflicts`, `domain.identity`).

Two kinds of other observations can hold an alert back: stored observations no child could
also have been observed as (too far to reach in the time between them, within the conflict
window), and stored observations of the same kind that the alert stands out for and that are,
by their own evidence, another child (the `standings` table keeps what every observation's
latest decision stands out for). The streaming correlator's use cases (`handlers`) ask here;
`kinlink match` keeps the same facts in memory (`domain.replay`), so both settle alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta

from services.correlator.domain.conflicts import WINDOW_HOURS, Standing, incompatible
from services.correlator.domain.decisions import Decision
from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.identity import ChildLinks, Record
from services.correlator.domain.model import Observation, parse_observation
from services.correlator.repository import CorrelatorTransaction, ObsRef


def ref_of(obs: Observation) -> ObsRef:
    return (obs.kind, obs.obs_id)


class StandingLookup:
    """Finds, for one observation, the stored observations its alerts are weighed against."""

    def __init__(self, engine: MatchEngine, max_backfill: int) -> None:
        self.engine = engine
        self._max_backfill = max_backfill
        self._links = ChildLinks(engine.weights, engine.frequencies, engine.routes)

    def decision(
        self, obs: Observation, reviewed: Mapping[str, str]
    ) -> tuple[Decision, frozenset[str]]:
        """The observation's own decision, and the alerts confirmed for it."""
        confirmed = frozenset(a for a, d in reviewed.items() if d == "confirmed")
        decision = self.engine.decide(
            obs, rejected={a for a, d in reviewed.items() if d == "rejected"}, confirmed=confirmed
        )
        return decision, confirmed

    def _probe(self, obs: Observation) -> Standing:
        spacetime = self.engine.features_of(obs).spacetime
        return Standing(obs.kind, obs.obs_id, "", 0.0, spacetime.at, spacetime.point)

    def _record(self, obs: Observation) -> Record:
        return Record(f"{obs.kind}/{obs.obs_id}", obs.kind, self.engine.features_of(obs))

    async def conflicting(
        self, obs: Observation, alert_ids: Iterable[str], tx: CorrelatorTransaction
    ) -> list[Observation]:
        """Stored observations sharing a key with the alerts that cannot be the child `obs`
        observed (only those made within the conflict window can be)."""
        keys: set[str] = set()
        for alert_id in alert_ids:
            alert = self.engine.alert(alert_id)
            if alert is not None:
                keys.update(self.engine.alert_blocking_keys(alert))
        if not keys or obs.time is None:
            return []
        since = obs.time - timedelta(hours=WINDOW_HOURS)
        rows = await tx.candidate_observations(sorted(keys), since, self._max_backfill)
        probe = self._probe(obs)
        found = [parse_observation(kind, data) for kind, data in rows]  # type: ignore[arg-type]
        mine = ref_of(obs)
        return [o for o in found if ref_of(o) != mine and incompatible(probe, self._probe(o))]

    async def other_children(
        self, obs: Observation, alert_id: str, tx: CorrelatorTransaction
    ) -> list[tuple[Observation, Standing]]:
        """The stored observations of `obs`'s kind the alert stands out for that are, by their
        own evidence, another child than `obs` (see `identity`), marked so."""
        record = self._record(obs)
        out: list[tuple[Observation, Standing]] = []
        for row in await tx.standing_observations(alert_id, obs.kind):
            other = parse_observation(obs.kind, row.data)
            if ref_of(other) == ref_of(obs) or not self._links.different(
                record, self._record(other)
            ):
                continue
            probe = self._probe(other)
            out.append((other, replace(
                probe, match_id=row.match_id, score=row.score, different_child=True
            )))
        return out

    async def _other_children_once(
        self,
        obs: Observation,
        alert_id: str,
        tx: CorrelatorTransaction,
        seen: dict[str, list[tuple[Observation, Standing]]] | None,
    ) -> list[tuple[Observation, Standing]]:
        """`other_children`, read once per alert for one decision of `obs` (`seen`): deciding
        and then settling ask for the same alerts, and no standing changes between the two."""
        if seen is None:
            return await self.other_children(obs, alert_id, tx)
        found = seen.get(alert_id)
        if found is None:
            found = seen[alert_id] = await self.other_children(obs, alert_id, tx)
        return found

    async def standing(
        self,
        obs: Observation,
        decision: Decision,
        tx: CorrelatorTransaction,
        seen: dict[str, list[tuple[Observation, Standing]]] | None = None,
    ) -> dict[str, list[Standing]]:
        """Per winning alert, the stored observations it stands out for that `obs` conflicts
        with: no child could be at both, or they are another child."""
        out: dict[str, list[Standing]] = {}
        for proposal in decision.winners:
            others = await self.conflicting(obs, [proposal.alert_id], tx)
            reviews = await tx.reviews_for([ref_of(o) for o in others]) if others else {}
            for other in others:
                found = self.decision(other, reviews.get(ref_of(other), {}))[0]
                standing = found.standing(proposal.alert_id)
                if standing is not None:
                    out.setdefault(proposal.alert_id, []).append(standing)
            for _, standing in await self._other_children_once(
                obs, proposal.alert_id, tx, seen
            ):
                out.setdefault(proposal.alert_id, []).append(standing)
        return out

    async def to_settle(
        self,
        obs: Observation,
        alert_ids: Iterable[str],
        tx: CorrelatorTransaction,
        seen: dict[str, list[tuple[Observation, Standing]]] | None = None,
    ) -> list[Observation]:
        """The stored observations whose alert may be kept or held back now that `obs` was
        decided: those it conflicts with for any of the alerts, each once."""
        chosen = sorted(set(alert_ids))
        found = {ref_of(o): o for o in await self.conflicting(obs, chosen, tx)}
        for alert_id in chosen:
            for other, _ in await self._other_children_once(obs, alert_id, tx, seen):
                found.setdefault(ref_of(other), other)
        return [found[ref] for ref in sorted(found)]
