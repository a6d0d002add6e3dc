"""Offline matching: structured CloudEvents in, `match.proposed` CloudEvents out (no Kafka, no DB).

Runs exactly the engine the streaming service runs, in file order.  Output is deterministic:
event ids derive from the match id and revision, times from the triggering event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.model import MATCH_PROPOSED
from services.correlator.domain.replay import Replayer, RevisedProposal
from services.correlator.proposals import SOURCE, proposal_data, proposal_event_id

DATASCHEMA = "https://schemas.kinlink.org/events/match.proposed.v1.json"


def proposal_event(revised: RevisedProposal) -> dict[str, Any]:
    """A structured-mode `org.kinlink.match.proposed.v1` CloudEvent for one revised proposal."""
    p = revised.proposal
    return {
        "specversion": "1.0",
        "id": proposal_event_id(p.match_id, revised.revision),
        "source": SOURCE,
        "type": MATCH_PROPOSED,
        "time": revised.event_time,
        "subject": p.match_id,
        "datacontenttype": "application/json",
        "dataschema": DATASCHEMA,
        "data": proposal_data(p, revised.revision),
    }


def run_match(
    events: Iterable[dict[str, Any]],
    *,
    engine: MatchEngine | None = None,
    threshold: float | None = None,
    counts: Counter[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one match.proposed event per proposal; `counts` receives event-type counts
    (unknown types under "ignored")."""
    replayer = Replayer(engine if engine is not None else MatchEngine(threshold=threshold))
    try:
        for revised in replayer.run(events):
            yield proposal_event(revised)
    finally:
        if counts is not None:
            counts.update(replayer.counts)
