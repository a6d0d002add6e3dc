"""Driving the notifier through Kafka and reading what it tells people."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp.test_utils import TestClient

from services.common.config import CommonSettings
from services.common.envelope import CloudEvent
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from tests.integration.notifier.conftest import bearer


async def publish(settings: CommonSettings, events: Sequence[CloudEvent]) -> None:
    async with EventProducer(settings, SchemaRegistry.load(), client_id="test") as producer:
        for event in events:  # one by one: the order of the list is the order of arrival
            await producer.send(event)


async def poll_until(
    client: TestClient[Any, Any],
    token: str,
    count: int,
    *,
    since: int = 0,
    timeout: float = 30.0,
) -> list[dict[str, Any]]:
    """The caller's notifications after `since`, once at least `count` arrived."""
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/notifications?since={since}", headers=bearer(token))
        assert response.status == 200
        items = (await response.json())["items"]
        if len(items) >= count:
            return items
        await asyncio.sleep(0.2)
    raise AssertionError(f"expected {count} notifications, got {len(items)}")


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], timeout: float = 30.0, what: str = "condition"
) -> None:
    """Wait until `check()` holds, asking every 0.1 s, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout * 20) + 1):
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not hold within {timeout}s")
