"""End-to-end fixtures: intake, and the notifier forwarding record reads to it, served by the
real apps on the run's broker and database (the session stack and per-test `settings` come from
the tests.stack_fixtures plugin)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.common.config import CommonSettings
from services.common.rate_limit import RateLimitSettings
from services.common.schema_registry import SchemaRegistry
from services.intake.app import create_app
from services.intake.config import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.config import NotifierSettings
from tests.integration.intake.conftest import keys, token  # noqa: F401  (fixtures)

# One token and one address here send far more than any client would (the fuzzers send
# hundreds of requests a second): a 429 would stop the journeys and starve the fuzzers' stateful
# pass, whose links need 2xx answers. Rate limits have their own tests.
NO_RATE_LIMITS = RateLimitSettings(subject_rate=0, address_rate=0)


@pytest.fixture
async def intake(
    settings: CommonSettings,
    keys: Any,  # noqa: F811  (the fixture imported above)
    registry: SchemaRegistry,
) -> AsyncIterator[TestClient[Any, Any]]:
    from services.common.auth import AuthSettings

    intake_settings = IntakeSettings(
        common=settings,
        auth=AuthSettings(public_keys=keys.folder, private_key=keys.folder / "test.pem"),
        relay_poll_interval=0.2,
        rate_limits=NO_RATE_LIMITS,
    )
    async with TestClient(TestServer(create_app(intake_settings, registry))) as client:
        yield client


@pytest.fixture
async def notifier(
    intake: TestClient[Any, Any],
    settings: CommonSettings,
    keys: Any,  # noqa: F811  (the fixture imported above)
    registry: SchemaRegistry,
) -> AsyncIterator[TestClient[Any, Any]]:
    from services.common.auth import AuthSettings

    notifier_settings = NotifierSettings(
        common=settings,
        auth=AuthSettings(public_keys=keys.folder, private_key=keys.folder / "test.pem"),
        intake_url=str(intake.make_url("")).rstrip("/"),
        rate_limits=NO_RATE_LIMITS,
    )
    app = create_notifier(notifier_settings, registry)
    async with TestClient(TestServer(app)) as client:
        yield client
