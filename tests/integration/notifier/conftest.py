"""The notifier under test: the real app (aiohttp TestServer) on the per-test database and
topics, a controllable clock, tokens for every organisation kind, and event builders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.common.auth import AuthSettings
from services.common.config import CommonSettings
from services.common.schema_registry import SchemaRegistry
from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from tests.integration.intake.conftest import Keys, keys, token  # noqa: F401  (fixtures)


class Clock:
    """Now, as the notifier sees it: real time plus however far tests moved it forward (to
    reach review deadlines without waiting 12 hours)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def notifier_settings(
    settings: CommonSettings,
    keys: Keys,  # noqa: F811  (the fixture imported above)
) -> NotifierSettings:
    return NotifierSettings(
        common=settings,
        auth=AuthSettings(public_keys=keys.folder, private_key=keys.folder / "test.pem"),
        escalation_interval_seconds=0.2,
        sse_heartbeat_seconds=0.5,
        webhook_retry_initial_seconds=0.2,
        webhook_retry_max_seconds=1.0,
        webhook_disable_after=5,
        webhook_timeout_seconds=2.0,
    )


NotifierFactory = Callable[[], Any]


@pytest.fixture
async def start_notifier(
    notifier_settings: NotifierSettings, registry: SchemaRegistry, clock: Clock
) -> AsyncIterator[Callable[..., Any]]:
    """Starts notifier instances (a restart is a new one on the same database and topics)."""
    running: list[TestClient[Any, Any]] = []

    async def start(**overrides: Any) -> TestClient[Any, Any]:
        chosen = notifier_settings
        if overrides:
            from dataclasses import replace

            chosen = replace(notifier_settings, **overrides)
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(chosen, registry, clock)))
        await client.start_server()
        running.append(client)
        return client

    yield start
    for client in running:
        await client.close()


@pytest.fixture
async def notifier(start_notifier: Callable[..., Any]) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await start_notifier()
    return client


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
