"""`match.proposed` and `match.withdrawn` from the engine's actions: one data shape and one
event-id rule, shared by the streaming service and the offline `kinlink match`, so both name
the same revision of a match the same way.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.common.catalog import MATCH_PROPOSED, MATCH_WITHDRAWN
from services.common.envelope import CloudEvent, new_event
from services.correlator.domain.decisions import Action, Proposal, Propose, Withdraw

SOURCE = "/kinlink/correlator"
_EVENT_NAMESPACE = uuid.UUID("0b7e3d4c-2f51-4c1e-8e0a-6a3f7d2c9b45")


def proposal_event_id(match_id: str, revision: int) -> str:
    """The same revision of the same match always has the same event id (downstream dedupe);
    a withdrawal is a revision of the match like a proposal."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{match_id}/{revision}"))


def proposal_data(proposal: Proposal, revision: int) -> dict[str, Any]:
    return {
        "match_id": proposal.match_id,
        "revision": revision,
        "alert_id": proposal.alert_id,
        "observation": {"type": proposal.observation_type, "id": proposal.observation_id},
        "score": proposal.score,
        "explanation": proposal.explanation,
        "engine_version": proposal.engine_version,
    }


def withdrawal_data(withdrawal: Withdraw) -> dict[str, Any]:
    data: dict[str, Any] = {
        "match_id": withdrawal.match_id,
        "revision": withdrawal.revision,
        "alert_id": withdrawal.alert_id,
        "observation": {"type": withdrawal.observation_type, "id": withdrawal.observation_id},
        "reason": withdrawal.reason,
        "engine_version": withdrawal.engine_version,
    }
    if withdrawal.superseded_by is not None:
        data["superseded_by"] = withdrawal.superseded_by
    return data


def proposal_event(proposal: Proposal, revision: int, at: datetime | None = None) -> CloudEvent:
    """The `match.proposed` event of one revision of a proposal."""
    return new_event(
        MATCH_PROPOSED,
        SOURCE,
        proposal.match_id,
        proposal_data(proposal, revision),
        time=at,
        event_id=proposal_event_id(proposal.match_id, revision),
    )


def withdrawal_event(withdrawal: Withdraw, at: datetime | None = None) -> CloudEvent:
    """The `match.withdrawn` event of one revision of a match."""
    return new_event(
        MATCH_WITHDRAWN,
        SOURCE,
        withdrawal.match_id,
        withdrawal_data(withdrawal),
        time=at,
        event_id=proposal_event_id(withdrawal.match_id, withdrawal.revision),
    )


def action_event(action: Action, at: datetime | None = None) -> CloudEvent:
    if isinstance(action, Propose):
        return proposal_event(action.proposal, action.revision, at)
    return withdrawal_event(action, at)
