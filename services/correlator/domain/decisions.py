"""What an observation's decision means for its matches: propose, re-propose or withdraw.

The engine decides, for one observation, which alerts stand out for it (`Decision`); the store
(or the offline replayer) knows what was said before about each of the observation's matches
(`MatchState`). `reconcile` turns the two into actions: a new revision proposing a winner that
was not proposed (or scored differently), a new revision withdrawing a match that lost. The
streaming correlator and `kinlink match` both call it, so they say the same things for the same
final set of events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PROPOSED, WITHDRAWN = "proposed", "withdrawn"
_SAME_SCORE = 1e-6


@dataclass(frozen=True, slots=True)
class Proposal:
    match_id: str
    alert_id: str
    observation_type: str
    observation_id: str
    score: float
    bits: float
    explanation: list[dict[str, Any]]
    engine_version: str


@dataclass(frozen=True)
class Decision:
    """The alerts proposed for one observation (best first) and the score of every alert that
    competed for it."""

    observation_type: str
    observation_id: str
    winners: list[Proposal]
    scores: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.5
    engine_version: str = ""


@dataclass(frozen=True, slots=True)
class MatchState:
    """The latest word on one match: its revision, whether it stands proposed, its score, and
    an investigator's review if there was one."""

    match_id: str
    alert_id: str
    revision: int
    status: str
    score: float
    review: str | None = None

    @property
    def live(self) -> bool:
        return self.status == PROPOSED


@dataclass(frozen=True, slots=True)
class Propose:
    proposal: Proposal
    revision: int


@dataclass(frozen=True, slots=True)
class Withdraw:
    match_id: str
    alert_id: str
    observation_type: str
    observation_id: str
    revision: int
    reason: str  # outranked | below_threshold | alert_resolved
    superseded_by: str | None
    engine_version: str


Action = Propose | Withdraw


def reconcile(
    decision: Decision, states: dict[str, MatchState], is_active: Callable[[str], bool]
) -> list[Action]:
    """Actions bringing the observation's matches from `states` to `decision`: winners are
    proposed (again, when their score changed), live matches that lost are withdrawn. Reviewed
    matches are the investigators' word and are left alone."""
    actions: list[Action] = []
    winning = {p.match_id for p in decision.winners}
    for proposal in decision.winners:
        state = states.get(proposal.match_id)
        if state is not None and (
            state.review is not None
            or (state.live and abs(state.score - proposal.score) < _SAME_SCORE)
        ):
            continue
        actions.append(Propose(proposal, state.revision + 1 if state is not None else 1))
    best = decision.winners[0].match_id if decision.winners else None
    for state in sorted(states.values(), key=lambda s: s.match_id):
        if not state.live or state.review is not None or state.match_id in winning:
            continue
        score = decision.scores.get(state.alert_id)
        if not is_active(state.alert_id):
            reason, superseded = "alert_resolved", None
        elif score is None or score < decision.threshold:
            reason, superseded = "below_threshold", None
        else:
            reason, superseded = "outranked", best
        actions.append(
            Withdraw(
                state.match_id,
                state.alert_id,
                decision.observation_type,
                decision.observation_id,
                state.revision + 1,
                reason,
                superseded,
                decision.engine_version,
            )
        )
    return actions


def apply_actions(states: dict[str, MatchState], actions: list[Action]) -> None:
    """Update `states` (one observation's) as the store does when the actions are saved."""
    for action in actions:
        if isinstance(action, Propose):
            p = action.proposal
            states[p.match_id] = MatchState(
                p.match_id, p.alert_id, action.revision, PROPOSED, p.score
            )
        else:
            old = states[action.match_id]
            states[action.match_id] = MatchState(
                old.match_id, old.alert_id, action.revision, WITHDRAWN, old.score, old.review
            )
