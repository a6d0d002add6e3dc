"""Offline matching: structured CloudEvents in, `match.proposed` and `match.withdrawn`
CloudEvents out (no Kafka, no DB).

Runs exactly the engine and the decision rules the streaming service runs, in file order.
Output is deterministic: event ids derive from the match id and revision, times from the
triggering event. The output read to its end is the final state: for each match, its highest
revision says whether it stands proposed or was withdrawn (`final_state`).

Everything alive when a run starts (modules, the engine's tables and name caches, events the
caller already holds) outlives the run, while the engine keeps features, scores and decisions
of every observation it meets. Those survivors trigger full garbage collections, and each would
traverse the whole long-lived heap again (a sixth of a run's time on the bench's scenario); the
run therefore moves what exists at its start out of the collector's sight (`gc.freeze`) and
back when it ends. Objects the run creates are collected as always.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from services.common.catalog import MATCH_PROPOSED, MATCH_WITHDRAWN
from services.common.envelope import to_structured
from services.correlator.domain.engine import MatchEngine
from services.correlator.domain.replay import Replayer, TimedAction
from services.correlator.proposals import action_event


def structured_action(timed: TimedAction) -> dict[str, Any]:
    """A structured-mode CloudEvent for one action."""
    return to_structured(action_event(timed.action, timed.event_time))


@contextmanager
def long_lived_heap_frozen() -> Iterator[None]:
    """Within the block, objects alive at its start are not traversed by the garbage collector
    (`gc.freeze`); they are handed back to it at the end. Does nothing when another part of the
    process froze objects itself (it keeps them frozen, and decides when to stop)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_match(
    events: Iterable[dict[str, Any]],
    engine: MatchEngine,
    *,
    counts: Counter[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one match.proposed or match.withdrawn event per action; `counts` receives
    event-type counts (unknown types under "ignored")."""
    replayer = Replayer(engine)
    try:
        with long_lived_heap_frozen():
            for timed in replayer.run(events):
                yield structured_action(timed)
    finally:
        if counts is not None:
            counts.update(replayer.counts)


def final_state(events: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The data of the highest revision of every match that stands proposed at the end of a
    stream of match events (structured CloudEvents), by match id."""
    latest: dict[str, tuple[int, str, Mapping[str, Any]]] = {}
    for event in events:
        if event.get("type") not in (MATCH_PROPOSED, MATCH_WITHDRAWN):
            continue
        data = event["data"]
        revision = int(data["revision"])
        previous = latest.get(data["match_id"])
        if previous is None or revision > previous[0]:
            latest[data["match_id"]] = (revision, str(event["type"]), data)
    return {m: dict(d) for m, (_, kind, d) in latest.items() if kind == MATCH_PROPOSED}
