"""Schema-driven fuzzing (schemathesis) of both HTTP APIs against the documents they serve.

Intake and the notifier run on the test run's real Kafka and PostgreSQL; the notifier forwards
record reads to this intake. Bounded for CI (seeded, a few examples per operation): every
answer must be declared in the document (status, content type, body, headers), none may be a
5xx, requests the document forbids must be refused with a 4xx, and sequences along the
document's links (create, read, change, delete) must hold as well.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.fuzzing import (
    INTAKE_CALLERS,
    NOTIFIER_CALLERS,
    Target,
    fuzz_operations,
    fuzz_stateful,
    linked_operations,
    served_target,
)
from tests.integration.intake.conftest import TokenFactory

MAX_EXAMPLES = 25
STATEFUL_EXAMPLES = 15


async def _fuzz(target: Target) -> list[str]:
    def run() -> list[str]:
        fuzz_operations(target, MAX_EXAMPLES)
        return fuzz_stateful(target, STATEFUL_EXAMPLES)

    return await asyncio.wait_for(asyncio.to_thread(run), 170)


async def test_intake_answers_fuzzed_requests_as_documented(
    intake: Any, token: TokenFactory
) -> None:
    target = await served_target(intake, INTAKE_CALLERS, token)
    links = set(linked_operations(target.doc))
    assert {("publishAlert", "getAlert"), ("publishAlert", "updateAlert")} <= links
    failures = await _fuzz(target)
    assert failures == [], "\n\n".join(failures)


async def test_notifier_answers_fuzzed_requests_as_documented(
    notifier: Any, token: TokenFactory
) -> None:
    target = await served_target(notifier, NOTIFIER_CALLERS, token)
    links = set(linked_operations(target.doc))
    assert {("createSubscription", "readSubscription")} <= links
    assert {("createSubscription", "deleteSubscription")} <= links
    failures = await _fuzz(target)
    assert failures == [], "\n\n".join(failures)
