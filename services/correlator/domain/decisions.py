"""What an observation's decision means for its matches: propose, re-propose or withdraw.

The engine decides, for one observation, which alerts stand out for it (`Decision`); the store
(or the offline replayer) knows what was said before about each of the observation's matches
(`MatchState`). `reconcile` turns the two into actions: a new revision proposing a winner that
was not proposed (or scored differently), a new revision withdrawing a match that lost, or
whose alert stands out for a better-ranked observation that cannot be the same child (the
caller passes those observations' own decisions, see `conflicts`). The
streaming correlator and `kinlink match` both call it, so they say the same things for the same
final set of events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.correlator.domain.conflicts import Standing, held_back_by
from services.correlator.domain.spacetime import Point

PROPOSED, WITHDRAWN = "proposed", "withdrawn"
CONFLICTING = "conflicting"
ERASED = "erased"
_SAME_SCORE = 1e-6


Explanation = list[dict[str, Any]]


class Proposal:
    """An alert proposed for an observation. The explanation may be given as a function: it is
    then built on first use (most winners of a re-decision are never proposed again)."""

    __slots__ = (
        "match_id",
        "alert_id",
        "observation_type",
        "observation_id",
        "score",
        "bits",
        "engine_version",
        "_explanation",
        "_explain",
    )

    def __init__(
        self,
        match_id: str,
        alert_id: str,
        observation_type: str,
        observation_id: str,
        score: float,
        bits: float,
        explanation: Explanation | Callable[[], Explanation],
        engine_version: str,
    ) -> None:
        self.match_id = match_id
        self.alert_id = alert_id
        self.observation_type = observation_type
        self.observation_id = observation_id
        self.score = score
        self.bits = bits
        self.engine_version = engine_version
        self._explanation: Explanation | None = None
        self._explain: Callable[[], Explanation] | None = None
        if callable(explanation):
            self._explain = explanation
        else:
            self._explanation = explanation

    @property
    def explanation(self) -> Explanation:
        if self._explanation is None:
            assert self._explain is not None
            self._explanation, self._explain = self._explain(), None
        return self._explanation

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.match_id,
            self.alert_id,
            self.observation_type,
            self.observation_id,
            self.score,
            self.bits,
            self.explanation,
            self.engine_version,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Proposal) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Proposal{self._fields()!r}"


@dataclass(frozen=True)
class Decision:
    """The alerts proposed for one observation (best first) and the score of every alert that
    competed for it."""

    observation_type: str
    observation_id: str
    winners: list[Proposal]
    scores: dict[str, float] = field(default_factory=dict)
    # The least score with which an alert can stand out (alone): a match that lost while under
    # it is withdrawn as "below_threshold", else as "outranked".
    threshold: float = 0.5
    engine_version: str = ""
    at: float | None = None  # when and where the observation was made (POSIX seconds)
    point: Point | None = None

    def standing(self, alert_id: str) -> Standing | None:
        """The observation as the alert stands out for it, None if the alert does not."""
        for proposal in self.winners:
            if proposal.alert_id == alert_id:
                return Standing(
                    self.observation_type,
                    self.observation_id,
                    proposal.match_id,
                    proposal.score,
                    self.at,
                    self.point,
                )
        return None


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
    reason: str | None = None  # why it was withdrawn

    @property
    def live(self) -> bool:
        return self.status == PROPOSED

    @property
    def stands_out(self) -> bool:
        """Proposed, or held back only because the alert stands out for a conflicting one."""
        return self.live or self.reason == CONFLICTING


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
    reason: str  # outranked | below_threshold | alert_resolved | conflicting | erased
    superseded_by: str | None
    engine_version: str


Action = Propose | Withdraw


def held_back(
    decision: Decision,
    standing: Mapping[str, Sequence[Standing]],
    confirmed: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Winners the alert must not take (match id -> the conflicting match that ranks above):
    the alert stands out for an incompatible observation ranking above this one. A pair an
    investigator confirmed is never held back."""
    held: dict[str, str] = {}
    for proposal in decision.winners:
        if proposal.alert_id in confirmed:
            continue
        mine = decision.standing(proposal.alert_id)
        blocker = held_back_by(mine, standing.get(proposal.alert_id, ())) if mine else None
        if blocker is not None:
            held[proposal.match_id] = blocker.match_id
    return held


def reconcile(
    decision: Decision,
    states: dict[str, MatchState],
    is_active: Callable[[str], bool],
    standing: Mapping[str, Sequence[Standing]] | None = None,
    confirmed: frozenset[str] = frozenset(),
) -> list[Action]:
    """Actions bringing the observation's matches from `states` to `decision`: winners are
    proposed (again, when their score changed), live matches that lost are withdrawn. A winner
    whose alert stands out for an incompatible, better-ranked observation (`standing`: per
    alert, the other observations it stands out for) is not proposed, or is withdrawn as
    `conflicting`. Reviewed matches are the investigators' word and are left alone."""
    held = held_back(decision, standing or {}, confirmed)
    kept = [p for p in decision.winners if p.match_id not in held]
    actions: list[Action] = []
    for proposal in kept:
        state = states.get(proposal.match_id)
        if state is not None and (
            state.review is not None
            or (state.live and abs(state.score - proposal.score) < _SAME_SCORE)
        ):
            continue
        actions.append(Propose(proposal, state.revision + 1 if state is not None else 1))
    winning = {p.match_id for p in kept}
    best = kept[0].match_id if kept else None
    for state in sorted(states.values(), key=lambda s: s.match_id):
        if not state.live or state.review is not None or state.match_id in winning:
            continue
        score = decision.scores.get(state.alert_id)
        if not is_active(state.alert_id):
            reason, superseded = "alert_resolved", None
        elif state.match_id in held:
            reason, superseded = CONFLICTING, held[state.match_id]
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


def withdraw_erased(
    states: Mapping[str, MatchState],
    observation_type: str,
    observation_id: str,
    engine_version: str,
    alert_id: str | None = None,
) -> list[Action]:
    """Withdrawals of the observation's live matches (or only those of `alert_id`) once the
    observation's or the alert's personal data was erased: nobody can review a pair whose
    records are gone. Reviewed matches are the investigators' word and are left alone."""
    return [
        Withdraw(
            state.match_id,
            state.alert_id,
            observation_type,
            observation_id,
            state.revision + 1,
            ERASED,
            None,
            engine_version,
        )
        for state in sorted(states.values(), key=lambda s: s.match_id)
        if state.live
        and state.review is None
        and (alert_id is None or state.alert_id == alert_id)
    ]


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
                old.match_id,
                old.alert_id,
                action.revision,
                WITHDRAWN,
                old.score,
                old.review,
                action.reason,
            )
