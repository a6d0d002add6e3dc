"""`match.proposed` from engine proposals: one data shape and one event-id rule, shared by the
streaming service and the offline `kinlink match`, so both name the same revision the same way.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.common.catalog import MATCH_PROPOSED
from services.common.envelope import CloudEvent, new_event
from services.correlator.domain.engine import Proposal

SOURCE = "/kinlink/correlator"
_EVENT_NAMESPACE = uuid.UUID("0b7e3d4c-2f51-4c1e-8e0a-6a3f7d2c9b45")


def proposal_event_id(match_id: str, revision: int) -> str:
    """The same revision of the same match always has the same event id (downstream dedupe)."""
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
