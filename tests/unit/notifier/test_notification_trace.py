"""A notification belongs to the trace of the match event that caused it: its `traceparent`
names that trace, so an investigator's notification can be followed back through the logs."""

from __future__ import annotations

from dataclasses import replace

from services.common.tracing import activate, from_event, parse_traceparent, stamp
from tests.integration.notifier import events
from tests.unit.notifier.world import POLICE, Notifier

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_a_notification_carries_the_trace_of_the_match_it_follows(
    notifier: Notifier,
) -> None:
    alert, sighting = events.alert(), events.sighting()
    proposal = notifier.proposed(alert, sighting)
    traced = replace(proposal, extensions={"traceparent": TRACEPARENT})
    await notifier.apply(alert, sighting)
    with activate(from_event(traced)) as consuming:  # as the consumer runner does
        await notifier.apply(traced)
    (told,) = await notifier.told(POLICE)
    carried = parse_traceparent(told.payload["traceparent"])
    assert carried is not None
    assert carried.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert carried.span_id == consuming.span_id  # the span that routed it, child of the event's
    assert consuming.parent_id == "00f067aa0ba902b7"


async def test_a_notification_made_outside_any_trace_says_so(notifier: Notifier) -> None:
    alert, sighting = events.alert(), events.sighting()
    await notifier.apply(alert, sighting, notifier.proposed(alert, sighting))
    (told,) = await notifier.told(POLICE)
    assert told.payload["traceparent"] is None
    assert stamp(sighting) is sighting
