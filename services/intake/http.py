"""Intake's HTTP adapter: routes, bearer authentication, query parsing, and how outcomes become
responses (status, Location); no business rules. Domain errors become problem+json in the
shared middleware (services.common.http_server)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.common.auth import AuthError, TokenVerifier, bearer_token
from services.common.http_problems import Problem
from services.common.http_server import REQUEST_ID, json_response, read_json
from services.intake.config import IntakeSettings
from services.intake.handlers import Caller, Effect, IdempotencyKey, IntakeHandlers, Outcome
from services.intake.repository import AuditQuery

HANDLERS: web.AppKey[IntakeHandlers] = web.AppKey("handlers", IntakeHandlers)
VERIFIER: web.AppKey[TokenVerifier] = web.AppKey("verifier", TokenVerifier)
SETTINGS: web.AppKey[IntakeSettings] = web.AppKey("settings", IntakeSettings)
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi", dict)

PATHS = {"alert": "/v1/alerts/", "registration": "/v1/registrations/", "sighting": "/v1/sightings/"}
_STATUS = {Effect.CREATED: 201, Effect.CHANGED: 200, Effect.READ: 200}

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_REALM = 'Bearer realm="kinlink"'


def authenticate(request: web.Request) -> Caller:
    """The verified caller, or 401 with a WWW-Authenticate challenge (RFC 6750)."""
    header = request.headers.get("Authorization")
    try:
        principal = request.app[VERIFIER].verify(bearer_token(header))
    except AuthError as exc:
        challenge = (
            _REALM if not header else f'{_REALM}, error="invalid_token", error_description="{exc}"'
        )
        raise Problem(
            401,
            f"A valid bearer token is required: {exc}.",
            headers={"WWW-Authenticate": challenge},
        ) from None
    return Caller(principal, request[REQUEST_ID])


def idempotency(request: web.Request, body: Any) -> IdempotencyKey | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Idempotency-Key must be 1 to 200 visible ASCII characters.")
    canonical = json.dumps(
        [request.method, request.path, body], sort_keys=True, separators=(",", ":")
    )
    return IdempotencyKey(key, hashlib.sha256(canonical.encode()).hexdigest())


def respond(outcome: Outcome) -> web.Response:
    """201 with Location for a created record, 200 with Location for a changed one, else 200."""
    headers = None
    if outcome.record is not None and outcome.effect is not Effect.READ:
        headers = {"Location": PATHS[outcome.record.record_type] + outcome.record.record_id}
    return json_response(outcome.body, _STATUS[outcome.effect], headers)


async def _body(request: web.Request) -> Any:
    return await read_json(
        request, request.app[SETTINGS].max_body_bytes, extra_types=("application/merge-patch+json",)
    )


def _handlers(request: web.Request) -> IntakeHandlers:
    return request.app[HANDLERS]


async def post_alert(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    return respond(await _handlers(request).publish_alert(caller, body, idempotency(request, body)))


async def patch_alert(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    alert_id = request.match_info["id"]
    return respond(
        await _handlers(request).update_alert(caller, alert_id, body, idempotency(request, body))
    )


async def resolve_alert(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    alert_id = request.match_info["id"]
    return respond(
        await _handlers(request).resolve_alert(caller, alert_id, body, idempotency(request, body))
    )


async def post_registration(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    idem = idempotency(request, body)
    return respond(await _handlers(request).record_registration(caller, body, idem))


async def post_sighting(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    return respond(
        await _handlers(request).report_sighting(caller, body, idempotency(request, body))
    )


def _reader(record_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def get_one(request: web.Request) -> web.Response:
        caller = authenticate(request)
        return respond(await _handlers(request).read(caller, record_type, request.match_info["id"]))

    return get_one


async def list_alerts(request: web.Request) -> web.Response:
    caller = authenticate(request)
    q = request.query
    status = q.get("status") or None
    if status not in (None, "active", "resolved"):
        raise Problem(400, "Query parameter status must be active or resolved.")
    outcome = await _handlers(request).list_alerts(
        caller,
        status=status,
        updated_since=_time_param(q.get("updated_since"), "updated_since"),
        cursor=q.get("cursor") or None,
        limit=_limit(request),
    )
    return respond(outcome)


async def read_audit(request: web.Request) -> web.Response:
    caller = authenticate(request)
    q = request.query
    query = AuditQuery(
        org_id=_text_param(q.get("org_id"), "org_id"),
        record_id=_text_param(q.get("record_id"), "record_id"),
        action=_text_param(q.get("action"), "action"),
        since=_time_param(q.get("since"), "since"),
        until=_time_param(q.get("until"), "until"),
    )
    outcome = await _handlers(request).read_audit(
        caller, query, cursor=q.get("cursor") or None, limit=_limit(request)
    )
    return respond(outcome)


def _limit(request: web.Request) -> int:
    maximum = request.app[SETTINGS].page_size_max
    raw = request.query.get("limit") or "50"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= maximum:
        raise Problem(400, f"Query parameter limit must be an integer from 1 to {maximum}.")
    return int(raw)


def _text_param(raw: str | None, name: str) -> str | None:
    if not raw:
        return None
    if "\x00" in raw or len(raw) > 200:
        raise Problem(400, f"Query parameter {name} must be at most 200 characters, without NUL.")
    return raw


def _time_param(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        # A `+` of an unencoded offset arrives as a space.
        parsed = datetime.fromisoformat(raw.replace(" ", "+").replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError("no offset")
        return parsed.astimezone(UTC)  # also refuses instants beyond year 9999 in UTC
    except (ValueError, OverflowError):
        raise Problem(
            400, f"Query parameter {name} must be an RFC 3339 date-time with offset."
        ) from None


async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI])


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1/alerts", post_alert)
    r.add_get("/v1/alerts", list_alerts, allow_head=False)
    r.add_get("/v1/alerts/{id}", _reader("alert"), allow_head=False)
    r.add_patch("/v1/alerts/{id}", patch_alert)
    r.add_post("/v1/alerts/{id}/resolve", resolve_alert)
    r.add_post("/v1/registrations", post_registration)
    r.add_get("/v1/registrations/{id}", _reader("registration"), allow_head=False)
    r.add_post("/v1/sightings", post_sighting)
    r.add_get("/v1/sightings/{id}", _reader("sighting"), allow_head=False)
    r.add_get("/v1/audit", read_audit, allow_head=False)
    r.add_get("/v1/openapi.json", openapi, allow_head=False)
