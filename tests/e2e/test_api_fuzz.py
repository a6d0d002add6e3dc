"""Schema-driven fuzzing (schemathesis) of both HTTP APIs against the documents they serve.

Intake and the notifier run on the test run's real Kafka and PostgreSQL; the notifier forwards
record reads to this intake. Bounded for CI (seeded, a few examples per operation): every
answer must be declared in the document (status, content type, body, headers), none may be a
5xx, requests the document forbids must be refused with a 4xx, and sequences along the
document's links (create, read, change, delete) must hold as well.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.common.schema_registry import SchemaRegistry
from services.notifier.app import create_app as create_notifier
from services.notifier.config import NotifierSettings
from tests.e2e.fuzzing import Target, fuzz_operations, fuzz_stateful, linked_operations
from tests.integration.intake.conftest import TokenFactory
from tests.integration.notifier.conftest import notifier_settings  # noqa: F401  (fixture)

MAX_EXAMPLES = 25
STATEFUL_EXAMPLES = 15
# Which organisation kind calls each path, so the fuzzer reaches past authorisation.
INTAKE_CALLERS = [
    ("/v1/alerts", "police"),
    ("/v1/registrations", "reception_centre"),
    ("/v1/sightings", "hotline"),
    ("/v1/audit", "auditor"),
]
NOTIFIER_CALLERS = [("/v1/", "investigator")]


def _headers(callers: list[tuple[str, str]], tokens: dict[str, str]) -> Any:
    def headers_for(path: str) -> dict[str, str]:
        kind = next((k for prefix, k in callers if path.startswith(prefix)), "police")
        return {"Authorization": f"Bearer {tokens[kind]}"}

    return headers_for


@pytest.fixture
async def notifier_fuzzed(
    intake: Any,
    notifier_settings: NotifierSettings,  # noqa: F811  (the fixture imported above)
    registry: SchemaRegistry,
) -> AsyncIterator[TestClient[Any, Any]]:
    intake_url = str(intake.make_url("")).rstrip("/")
    settings = replace(notifier_settings, intake_url=intake_url)
    async with TestClient(TestServer(create_notifier(settings, registry))) as client:
        yield client


async def _target(client: Any, callers: list[tuple[str, str]], token: TokenFactory) -> Target:
    doc = await (await client.get("/v1/openapi.json")).json()
    kinds = {kind for _, kind in callers} | {"police"}
    return Target(
        doc=doc,
        base_url=str(client.make_url("")).rstrip("/"),
        headers_for=_headers(callers, {kind: token(kind) for kind in kinds}),
        streaming={"/v1/notifications/stream"},
    )


async def _fuzz(target: Target) -> list[str]:
    def run() -> list[str]:
        fuzz_operations(target, MAX_EXAMPLES)
        return fuzz_stateful(target, STATEFUL_EXAMPLES)

    return await asyncio.wait_for(asyncio.to_thread(run), 170)


async def test_intake_answers_fuzzed_requests_as_documented(
    intake: Any, token: TokenFactory
) -> None:
    target = await _target(intake, INTAKE_CALLERS, token)
    links = set(linked_operations(target.doc))
    assert {("publishAlert", "getAlert"), ("publishAlert", "updateAlert")} <= links
    failures = await _fuzz(target)
    assert failures == [], "\n\n".join(failures)


async def test_notifier_answers_fuzzed_requests_as_documented(
    notifier_fuzzed: Any, token: TokenFactory
) -> None:
    target = await _target(notifier_fuzzed, NOTIFIER_CALLERS, token)
    links = set(linked_operations(target.doc))
    assert {("createSubscription", "readSubscription")} <= links
    assert {("createSubscription", "deleteSubscription")} <= links
    failures = await _fuzz(target)
    assert failures == [], "\n\n".join(failures)
