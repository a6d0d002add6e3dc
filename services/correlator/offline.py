"""Offline matching: structured CloudEvents in, `match.proposed` CloudEvents out (no Kafka, no DB).

Runs exactly the engine the streaming service runs, in file order.  Output is deterministic:
event ids derive from the match id and revision, times from the triggering event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from services.common.envelope import to_structured
from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.replay import Replayer, RevisedProposal
from services.correlator.proposals import proposal_event


def structured_proposal(revised: RevisedProposal) -> dict[str, Any]:
    """A structured-mode `match.proposed` CloudEvent for one revised proposal."""
    return to_structured(proposal_event(revised.proposal, revised.revision, revised.event_time))


def run_match(
    events: Iterable[dict[str, Any]],
    engine: MatchEngine,
    *,
    counts: Counter[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one match.proposed event per proposal; `counts` receives event-type counts
    (unknown types under "ignored")."""
    replayer = Replayer(engine)
    try:
        for revised in replayer.run(events):
            yield structured_proposal(revised)
    finally:
        if counts is not None:
            counts.update(replayer.counts)
