"""Saving what a decision says about a match: the match's new revision in the store and its
event (`match.proposed` or `match.withdrawn`) in the outbox, in the use case's transaction, and
a log line with identifiers only (never a name or a birth date).
"""

from __future__ import annotations

from services.common.logging import get_logger
from services.correlator.domain.decisions import Action, Propose
from services.correlator.proposals import action_event
from services.correlator.repository import CorrelatorTransaction, MatchRecord

log = get_logger(__name__)


async def save_action(action: Action, tx: CorrelatorTransaction) -> None:
    if isinstance(action, Propose):
        p = action.proposal
        await tx.save_match(
            MatchRecord(
                p.match_id,
                p.alert_id,
                p.observation_type,
                p.observation_id,
                action.revision,
                p.score,
                p.explanation,
                p.engine_version,
            )
        )
        log.info(
            "match proposed",
            match_id=p.match_id,
            revision=action.revision,
            alert_id=p.alert_id,
            observation_id=p.observation_id,
            score=p.score,
        )
    else:
        await tx.withdraw_match(
            action.match_id, action.revision, action.reason, action.engine_version
        )
        log.info(
            "match withdrawn",
            match_id=action.match_id,
            revision=action.revision,
            reason=action.reason,
        )
    await tx.emit(action_event(action))
