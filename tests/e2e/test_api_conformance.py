"""Answers users tripped on, checked one by one against the served documents (the fuzzer finds
such things; these keep them found): every one is declared, problem+json, and names what to fix.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.e2e.fuzzing import (
    INTAKE_CALLERS,
    NOTIFIER_CALLERS,
    Target,
    documented_call,
    served_target,
)
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory


async def _call(target: Target, operation_id: str, **case: Any) -> Any:
    return await asyncio.to_thread(documented_call, target, operation_id, **case)


def _problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"][0].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    for word in words:
        assert word in problem["detail"], problem
    return problem


async def test_intake_refuses_empty_and_unknown_query_parameters_by_name(
    intake: Any, token: TokenFactory
) -> None:
    target = await served_target(intake, INTAKE_CALLERS, token)
    for name in ("updated_since", "status", "limit", "cursor"):
        refused = await _call(target, "listAlerts", query={name: ""})
        _problem(refused, 400, name)
    for name in ("since", "until"):
        _problem(await _call(target, "readAudit", query={name: ""}), 400, name)
    _problem(await _call(target, "listAlerts", query={"updated_sinse": "x"}), 400, "updated_sinse")
    listed = await _call(target, "listAlerts", query={"updated_since": "2025-01-01T00:00:00Z"})
    assert listed.status_code == 200


async def test_intake_foreign_cursor_and_reused_idempotency_key_are_documented(
    intake: Any, token: TokenFactory
) -> None:
    target = await served_target(intake, INTAKE_CALLERS, token)
    for operation in ("listAlerts", "readAudit"):
        foreign = await _call(target, operation, query={"cursor": "bm90LW91cnM"})
        _problem(foreign, 400, "cursor")
    key = {"Idempotency-Key": f"fuzz-{uuid.uuid4()}"}
    first = await _call(target, "publishAlert", headers=key, body=bodies.alert())
    assert first.status_code == 201, first.text
    again = await _call(target, "publishAlert", headers=key, body=bodies.alert(risk_level="low"))
    problem = _problem(again, 422)
    assert problem["type"].endswith("/idempotency-key-reused")


async def test_notifier_refuses_empty_and_malformed_query_parameters_by_name(
    notifier: Any, token: TokenFactory
) -> None:
    target = await served_target(notifier, NOTIFIER_CALLERS, token)
    cases: list[tuple[str, dict[str, str], str]] = [
        ("pollNotifications", {"since": ""}, "since"),
        ("pollNotifications", {"limit": ""}, "limit"),
        ("pollNotifications", {"subscription_id": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}, "UUID"),
        ("listMatches", {"status": ""}, "status"),
        ("listMatches", {"page": "2"}, "page"),
    ]
    for operation, query, word in cases:
        _problem(await _call(target, operation, query=query), 400, word)
    created = await _call(target, "createSubscription", body={"name": "nights"})
    assert created.status_code == 201
    by_id = {"path_parameters": {"id": created.json()["id"]}}
    assert (await _call(target, "readSubscription", **by_id)).status_code == 200
    assert (await _call(target, "deleteSubscription", **by_id)).status_code == 204
    _problem(await _call(target, "readSubscription", **by_id), 404)
