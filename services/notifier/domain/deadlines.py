"""Review deadlines: under the Schengen rules a decision on a located child is due within
12 hours. A match not reviewed within the window after its first proposal is overdue; the rule
reads stored times only, so it holds across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifier.domain.model import MatchState


def review_due(match: MatchState, window: timedelta) -> datetime:
    return match.first_proposed_at + window


def is_overdue(match: MatchState, now: datetime, window: timedelta) -> bool:
    """Open (proposed, not reviewed), not escalated yet, and past its review deadline."""
    return match.open and match.escalated_at is None and now >= review_due(match, window)
