"""Schema-driven fuzzing of the whole intake API (schemathesis) against the served document.

Bounded for CI: a fixed seed, a few examples per operation. Every response must be documented
(status, content type, body schema, headers) and none may be a 5xx.
"""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis
import requests
import schemathesis
from schemathesis import checks

from tests.integration.intake.conftest import TokenFactory

MAX_EXAMPLES = 20
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
# Which organisation kind calls each path, so the fuzzer reaches past authorisation.
CALLERS = [
    ("/v1/alerts", "police"),
    ("/v1/registrations", "reception_centre"),
    ("/v1/sightings", "hotline"),
    ("/v1/audit", "auditor"),
]


def _fuzz_operation(operation: Any, base_url: str, headers: dict[str, str]) -> Any:
    session = requests.Session()

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers)
        case.validate_response(response, checks=CHECKS)

    return run


def _fuzz(doc: dict[str, Any], base_url: str, tokens: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        kind = next((k for prefix, k in CALLERS if operation.path.startswith(prefix)), "police")
        run = _fuzz_operation(operation, base_url, {"Authorization": f"Bearer {tokens[kind]}"})
        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures


async def test_fuzzed_requests_get_documented_answers_and_no_5xx(
    intake: Any, token: TokenFactory
) -> None:
    doc = await (await intake.get("/v1/openapi.json")).json()
    base_url = str(intake.make_url("")).rstrip("/")
    tokens = {kind: token(kind) for _, kind in CALLERS} | {"police": token("police")}
    failures = await asyncio.wait_for(asyncio.to_thread(_fuzz, doc, base_url, tokens), 240)
    assert failures == [], "\n\n".join(failures)
