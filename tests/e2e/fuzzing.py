"""Schema-driven fuzzing (schemathesis 4) of one served OpenAPI document against a running app.

Three passes, all seeded (`derandomize`) and bounded for CI:
- positive: requests valid by the document; every answer must be declared (status, content
  type, body schema, headers) and none may be a 5xx;
- negative: requests the document forbids (wrong types, formats, missing or extra fields);
  they must also be refused with a 4xx (`negative_data_rejection`);
- stateful: sequences following the document's OpenAPI `links` (create, then read, change,
  delete what was created), checked the same way.
Each operation is called with a bearer token of the organisation kind that may use it, so the
fuzzer reaches past authorisation. Runs synchronously (requests): call it from a thread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
from schemathesis import GenerationMode, checks

RESPONSE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
NEGATIVE_CHECKS = [*RESPONSE_CHECKS, checks.negative_data_rejection]
# Along links: what was just created can be read, and what was just deleted cannot.
STATEFUL_CHECKS = [
    *RESPONSE_CHECKS,
    checks.ensure_resource_availability,
    checks.use_after_free,
]
# A request timeout far above any normal answer: a hang is a failure, not a stuck CI job.
TIMEOUT = 30
# A stateful pass that made fewer calls than this proves nothing (see fuzz_stateful).
MIN_STATEFUL_CALLS = 20
STATEFUL_ATTEMPTS = 4


# Which organisation kind calls each path, so the fuzzer reaches past authorisation.
INTAKE_CALLERS = [
    ("/v1/alerts", "police"),
    ("/v1/registrations", "reception_centre"),
    ("/v1/sightings", "hotline"),
    ("/v1/audit", "auditor"),
]
NOTIFIER_CALLERS = [("/v1/", "investigator")]


def _settings(max_examples: int, **extra: Any) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        **extra,
    )


@dataclass
class Target:
    """One running service and how to call it."""

    doc: dict[str, Any]
    base_url: str
    # The Authorization (and any other) headers for an operation path.
    headers_for: Callable[[str], dict[str, str]]
    # Operations that answer with an endless stream (SSE): only status and type are checked.
    streaming: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    def schema(self) -> Any:
        return schemathesis.openapi.from_dict(self.doc)


def _call(target: Target, session: requests.Session, case: Any, checks_: list[Any]) -> None:
    headers = target.headers_for(case.operation.path)
    if case.operation.path in target.streaming:
        _call_stream(target, session, case, headers)
        return
    response = case.call(
        base_url=target.base_url, session=session, headers=headers, timeout=TIMEOUT
    )
    case.validate_response(response, checks=checks_, headers=headers)


def _call_stream(target: Target, session: requests.Session, case: Any, headers: Any) -> None:
    """An event stream never ends: read the status and type, then hang up."""
    kwargs = case.as_transport_kwargs(base_url=target.base_url, headers=headers)
    kwargs.pop("stream", None)
    with session.request(**kwargs, stream=True, timeout=TIMEOUT) as response:
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        declared = case.operation.definition.raw["responses"]
        kind = response.headers.get("Content-Type", "").split(";")[0]
        assert str(response.status_code) in declared, f"undeclared {response.status_code}"
        assert response.status_code < 500
        if response.status_code == 200:
            assert not negative, f"invalid input accepted: {kwargs.get('params')}"
            assert kind == "text/event-stream", kind
        else:
            assert kind == "application/problem+json", kind


def fuzz_operations(target: Target, max_examples: int) -> list[str]:
    """Positive and negative passes over every operation; the failures, one per operation."""
    schema = target.schema()
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, checks_ in (
            (GenerationMode.POSITIVE, RESPONSE_CHECKS),
            (GenerationMode.NEGATIVE, NEGATIVE_CHECKS),
        ):
            if mode is GenerationMode.NEGATIVE and not _can_negate(operation):
                continue

            try:
                _fuzz_one(target, session, operation, mode, checks_, max_examples)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation
                label = f"{operation.method.upper()} {operation.path} ({mode.value})"
                target.failures.append(f"{label}: {exc}")
    return target.failures


def _fuzz_one(
    target: Target,
    session: requests.Session,
    operation: Any,
    mode: GenerationMode,
    checks_: list[Any],
    max_examples: int,
) -> None:
    @_settings(max_examples)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _call(target, session, case, checks_)

    run()


def _can_negate(operation: Any) -> bool:
    """An operation with neither parameters nor a body has nothing to get wrong."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody") or operation.path_parameters)


def fuzz_stateful(target: Target, max_examples: int, step_count: int = 6) -> list[str]:
    """Sequences along the document's links: what one call creates, the next one uses."""
    schema = target.schema()
    if target.streaming:  # no link leads to an endless stream; its own pass covers it
        schema = schema.exclude(path=sorted(target.streaming))
    base: Any = schema.as_state_machine()
    session = requests.Session()
    calls: list[tuple[str, int]] = []  # (operation, status) of every call made

    class Machine(base):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Any:
            headers = target.headers_for(case.operation.path)
            try:
                response = case.call(
                    base_url=target.base_url, session=session, headers=headers, timeout=TIMEOUT
                )
            except Exception as exc:  # no answer at all: recorded, like a failed check
                _record(f"stateful: {case.operation.label}: no answer: {exc!r}")
                raise
            calls.append((case.operation.label, response.status_code))
            return response

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            headers = target.headers_for(case.operation.path)
            try:
                case.validate_response(
                    response,
                    checks=STATEFUL_CHECKS,
                    headers=headers,
                    transport_kwargs={"base_url": target.base_url, "headers": headers},
                    recorder=getattr(self, "recorder", None),
                )
            except (Exception, BaseExceptionGroup) as exc:
                # Recorded rather than raised: hypothesis would replay the sequence to report it,
                # and a replay against a live service (whose answers feed the next steps through
                # the links) draws differently, hiding the real failure behind "inconsistent
                # data generation".
                _record(f"stateful: {case.operation.label}: {exc}")

    def _record(failure: str) -> None:
        if failure not in target.failures:
            target.failures.append(failure)

    def linked() -> list[str]:
        return [label for label, status in calls if "{" in label and 200 <= status < 300]

    # Which rules are enabled depends on what the live service answered (its bundles); a
    # service that keeps state across sequences makes hypothesis see "inconsistent data
    # generation" and stop exploring. That is not a failure of the service (every check failure
    # is recorded above, never raised), but the exploration must go far enough to mean
    # something: it starts again (on the service's new state) until the floor below is reached.
    for _ in range(STATEFUL_ATTEMPTS):
        try:
            Machine.run(settings=_settings(max_examples, stateful_step_count=step_count))
        except hypothesis.errors.FlakyStrategyDefinition:
            pass
        except (Exception, BaseExceptionGroup) as exc:
            target.failures.append(f"stateful: {exc}")
            break
        if len(calls) >= MIN_STATEFUL_CALLS and linked():
            break
    if len(calls) < MIN_STATEFUL_CALLS or not linked():
        target.failures.append(
            f"stateful: explored too little ({len(calls)} calls, {len(linked())} answered 2xx on "
            f"a linked resource; at least {MIN_STATEFUL_CALLS} and 1 wanted); answers: "
            f"{sorted(Counter(status for _, status in calls).items())}"
        )
    return target.failures


def linked_operations(doc: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(source operationId, target operationId) for every link in the document."""
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for link in response.get("links", {}).values():
                    yield operation.get("operationId", ""), link["operationId"]


def documented_call(target: Target, operation_id: str, **case: Any) -> Any:
    """One hand-made request to an operation (path_parameters, query, headers, body), checked
    like the fuzzer's: declared status, content type, body schema and headers, no 5xx."""
    operation = target.schema().find_operation_by_id(operation_id)
    made = operation.Case(**case)
    headers = {**target.headers_for(operation.path), **case.get("headers", {})}
    response = made.call(base_url=target.base_url, headers=headers, timeout=TIMEOUT)
    made.validate_response(response, checks=RESPONSE_CHECKS, headers=headers)
    return response  # a schemathesis Response: status_code, headers (lower-case lists), json()


async def served_target(
    client: Any, callers: list[tuple[str, str]], token: Callable[[str], str]
) -> Target:
    """The document a running app (aiohttp TestClient) serves, and tokens for its callers."""
    doc = await (await client.get("/v1/openapi.json")).json()
    kinds = {kind for _, kind in callers} | {"police"}
    tokens = {kind: token(kind) for kind in kinds}

    def headers_for(path: str) -> dict[str, str]:
        kind = next((k for prefix, k in callers if path.startswith(prefix)), "police")
        return {"Authorization": f"Bearer {tokens[kind]}"}

    return Target(
        doc=doc,
        base_url=str(client.make_url("")).rstrip("/"),
        headers_for=headers_for,
        streaming={"/v1/notifications/stream"},
    )
