"""Property tests: whatever data its schema accepts, an event applied by the correlator's or the
notifier's use cases (as their consumers dispatch it, on the in-memory stores) either applies or
is refused as bad data (`RejectEvent`, or a text PostgreSQL cannot store: both dead-lettered by
the runner). Anything else would be a
bug that stops the consumer on a record its schema let through."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.catalog import (
    ALERT_ERASED,
    ALERT_PUBLISHED,
    ALERT_RESOLVED,
    ALERT_REVIEW_DUE,
    ALERT_UPDATED,
    MATCH_PROPOSED,
    MATCH_REVIEWED,
    MATCH_WITHDRAWN,
    REGISTRATION_ERASED,
    REGISTRATION_RECORDED,
    SIGHTING_ERASED,
    SIGHTING_REPORTED,
)
from services.common.envelope import CloudEvent, new_event
from services.common.errors import RejectEvent
from services.common.schema_registry import SchemaRegistry
from tests.examples import example_data
from tests.unit.correlator.fakes import InMemoryCorrelatorRepository
from tests.unit.correlator.world import Instance
from tests.unit.intake.callers import caller
from tests.unit.notifier.fakes import InMemoryNotifierRepository
from tests.unit.notifier.world import INVESTIGATOR, POLICE, Clock, Notifier
from tests.valid_events import valid_data

REGISTRY = SchemaRegistry.load()
OBSERVED = [
    ALERT_PUBLISHED,
    ALERT_UPDATED,
    ALERT_RESOLVED,
    REGISTRATION_RECORDED,
    SIGHTING_REPORTED,
    ALERT_ERASED,
    REGISTRATION_ERASED,
    SIGHTING_ERASED,
]
FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


# The CloudEvent `time` too is whatever its producer wrote: any RFC 3339 instant.
TIMES = st.sampled_from(
    [
        datetime(2025, 5, 1, tzinfo=UTC),
        datetime(1, 1, 1, 6, tzinfo=UTC),
        datetime(9999, 12, 31, 20, tzinfo=UTC),
    ]
)


def _events(types: list[str]) -> st.SearchStrategy[list[CloudEvent]]:
    one = st.one_of(
        [
            st.builds(_event, st.just(t), valid_data(t), TIMES)  # type: ignore[misc]
            for t in types
        ]
    )
    return st.lists(one, min_size=1, max_size=4)


def _event(
    ce_type: str, data: dict[str, Any], time: datetime = datetime(2025, 5, 1, tzinfo=UTC)
) -> CloudEvent:
    subject = next((str(v) for k, v in data.items() if k.endswith("_id")), "x")
    return new_event(ce_type, "/kinlink/fuzz", subject, data, time=time)


async def _apply_each(apply: Any, events: list[CloudEvent]) -> list[str]:
    refused = []
    for event in events:
        try:
            await apply(event)
        except (RejectEvent, asyncpg.DataError):
            # The runner dead-letters both: a DataError is text PostgreSQL cannot store (NUL).
            refused.append(event.type)
    return refused


@FUZZ
@given(_events([*OBSERVED, MATCH_REVIEWED]))
def test_the_correlator_applies_or_refuses_any_valid_event(events: list[CloudEvent]) -> None:
    async def run() -> None:
        instance = await Instance(InMemoryCorrelatorRepository(REGISTRY)).start()
        await _apply_each(instance.apply, events)

    asyncio.run(run())


@FUZZ
@given(_events([*OBSERVED, ALERT_REVIEW_DUE, MATCH_PROPOSED, MATCH_WITHDRAWN, MATCH_REVIEWED]))
def test_the_notifier_applies_or_refuses_any_valid_event(events: list[CloudEvent]) -> None:
    async def run() -> None:
        clock = Clock()
        notifier = Notifier(REGISTRY, clock, InMemoryNotifierRepository(REGISTRY))
        await _apply_each(notifier.apply, events)
        # What it stored must also be readable and reach its review deadline.
        clock.advance(timedelta(days=1))
        await notifier.escalate()
        for who in (POLICE, INVESTIGATOR):
            await notifier.handlers.queue(who, open_only=False, limit=50)
            await notifier.handlers.notifications(who, since=0, limit=50, subscription_id=None)

    asyncio.run(run())


def test_times_at_the_ends_of_rfc_3339_neither_overflow_nor_stop_the_correlator() -> None:
    """Years 0001 and 9999 are valid date-times; they are unusable, not fatal."""
    earliest, latest = "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"
    alert = dict(example_data(ALERT_PUBLISHED))
    alert["last_seen"] = {**alert["last_seen"], "at": earliest}
    sighting = {**example_data(SIGHTING_REPORTED), "observed_at": latest}
    at_the_end = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)

    async def run() -> list[str]:
        instance = await Instance(InMemoryCorrelatorRepository(REGISTRY)).start()
        events = [
            _event(ALERT_PUBLISHED, alert),
            _event(SIGHTING_REPORTED, sighting),
            new_event(SIGHTING_REPORTED, "/kinlink/fuzz", "s", sighting, time=at_the_end),
        ]
        return await _apply_each(instance.apply, events)

    # Usable event time: applied without the observed time; none at all: refused as bad data.
    assert asyncio.run(run()) == [SIGHTING_REPORTED]


def test_a_proposal_stamped_at_the_end_of_time_still_gets_a_review_deadline() -> None:
    """A match.proposed whose CloudEvent time is 9999-12-31: its review window starts when the
    notifier learns of it, so reading the queue and the deadline pass still work."""
    at_the_end = datetime(9999, 12, 31, 20, tzinfo=UTC)

    async def run() -> list[dict[str, Any]]:
        clock = Clock()
        notifier = Notifier(REGISTRY, clock, InMemoryNotifierRepository(REGISTRY))
        await notifier.apply(
            _event(ALERT_PUBLISHED, example_data(ALERT_PUBLISHED)),
            _event(REGISTRATION_RECORDED, example_data(REGISTRATION_RECORDED)),
            _event(MATCH_PROPOSED, example_data(MATCH_PROPOSED), at_the_end),
        )
        clock.advance(timedelta(days=1))
        assert await notifier.escalate() == 1
        issuer = caller("police", example_data(ALERT_PUBLISHED)["issuing_authority"]["id"])
        queue = await notifier.handlers.queue(issuer, open_only=True, limit=50)
        items: list[dict[str, Any]] = queue.body["items"]
        return items

    [item] = asyncio.run(run())
    assert item["match"]["escalated"] is True
    assert item["match"]["first_proposed_at"].startswith(str(Clock().now.year))
