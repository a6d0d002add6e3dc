"""SSE streams across a PostgreSQL restart: open ones and ones opened while the database is down
keep beating, and deliver every notification once the database is back.

Found by the chaos run: a stream whose read failed while PostgreSQL restarted had a problem
response written into its open body and its connection kept alive, so the client waited on a
stream that never spoke again (no events, no heartbeat) while polling and webhooks delivered
everything.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.common.config import CommonSettings
from tests import stack_fixtures
from tests.integration.notifier import events
from tests.integration.notifier.flow import eventually, poll_until, publish
from tests.integration.notifier.sse import Follower


async def test_streams_keep_beating_through_a_database_restart_and_miss_nothing(
    notifier: Any, settings: CommonSettings, token: Any, stack: stack_fixtures.TestStack
) -> None:
    if stack.external_database is not None:
        pytest.skip("restarts the test run's own PostgreSQL")
    police = token("police")
    alert, first = events.alert(), events.sighting()
    opened_before = Follower(notifier, police)
    opened_before.start()
    opened_during: Follower | None = None
    try:
        await publish(settings, [alert, first, events.proposed(alert, first)])
        await eventually(lambda: len(opened_before.ids) == 1, what="the first notification")

        await asyncio.to_thread(stack.postgres.stop)
        try:
            opened_during = Follower(notifier, police)  # connects while the database is down
            opened_during.start()
            beats = opened_before.heartbeats
            during = opened_during
            await eventually(
                lambda: opened_before.heartbeats > beats + 1 and during.heartbeats > 1,
                what="heartbeats on both streams while the database is down",
            )
        finally:
            await asyncio.to_thread(stack.postgres.start)

        later = [events.sighting() for _ in range(3)]
        await publish(settings, [e for s in later for e in (s, events.proposed(alert, s))])
        listed = [item["id"] for item in await poll_until(notifier, police, 4)]
        await eventually(
            lambda: len(opened_before.ids) >= 4 and len(during.ids) >= 4,
            what="every notification on both streams",
        )
        await asyncio.sleep(1.0)  # a few heartbeats more: nothing arrives twice
        assert opened_before.ids == listed
        assert during.ids == listed
        assert set(opened_before.statuses + during.statuses) == {200}
    finally:
        await opened_before.stop()
        if opened_during is not None:
            await opened_during.stop()
