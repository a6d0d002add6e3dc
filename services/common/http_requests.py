"""What every HTTP door reads from a request and how it answers: the bearer token, the
Idempotency-Key, query parameters, and the response for a use case's `Outcome`.

Each service's `http.py` stays a thin list of routes over these; the rules live in its use cases.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.common.auth import AuthError, Caller, TokenVerifier, bearer_token
from services.common.http_problems import Problem
from services.common.http_server import REQUEST_ID, json_response
from services.common.outcomes import Effect, IdempotencyKey, Outcome
from services.common.rate_limit import RATE_LIMITS

VERIFIER: web.AppKey[TokenVerifier] = web.AppKey("verifier", TokenVerifier)

_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_REALM = 'Bearer realm="kinlink"'
_STATUS = {Effect.CREATED: 201, Effect.CHANGED: 200, Effect.DELETED: 204, Effect.READ: 200}


def authenticate(request: web.Request, token: str | None = None) -> Caller:
    """The verified caller, or 401 with a WWW-Authenticate challenge (RFC 6750). `token`
    overrides the Authorization header (for clients that cannot set headers)."""
    header = request.headers.get("Authorization")
    try:
        principal = request.app[VERIFIER].verify(token or bearer_token(header))
    except AuthError as exc:
        given = header or token
        challenge = (
            _REALM if not given else f'{_REALM}, error="invalid_token", error_description="{exc}"'
        )
        raise Problem(
            401,
            f"A valid bearer token is required: {exc}.",
            headers={"WWW-Authenticate": challenge},
        ) from None
    limits = request.app.get(RATE_LIMITS)
    if limits is not None:
        limits.check_subject(principal.subject)
    return Caller(principal, request[REQUEST_ID])


def idempotency(request: web.Request, body: Any) -> IdempotencyKey | None:
    """The request's Idempotency-Key with a fingerprint of method, path and body."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Idempotency-Key must be 1 to 200 visible ASCII characters.")
    canonical = json.dumps(
        [request.method, request.path, body], sort_keys=True, separators=(",", ":")
    )
    return IdempotencyKey(key, hashlib.sha256(canonical.encode()).hexdigest())


def respond(outcome: Outcome, paths: Mapping[str, str]) -> web.Response:
    """201 + Location for a created record, 200 + Location for a changed one, 204 for a deleted
    one, else 200. `paths` maps a record type to its URL prefix (`/v1/alerts/`)."""
    if outcome.effect is Effect.DELETED:
        return web.Response(status=204)
    headers = None
    if outcome.record is not None and outcome.effect is not Effect.READ:
        location = paths.get(outcome.record.record_type)
        if location is not None:
            headers = {"Location": location + outcome.record.record_id}
    return json_response(outcome.body, _STATUS[outcome.effect], headers)


def limit_param(request: web.Request, maximum: int, default: int = 50) -> int:
    return int_param(request, "limit", default=default, minimum=1, maximum=maximum)


def int_param(
    request: web.Request, name: str, *, default: int, minimum: int, maximum: int
) -> int:
    """An integer query parameter; absent means `default`, anything else that is not an integer
    in range (an empty value included) is a 400 naming the parameter."""
    raw = request.query.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or not (
        minimum <= int(raw) <= maximum
    ):
        raise Problem(
            400, f"Query parameter {name} must be an integer from {minimum} to {maximum}."
        )
    return int(raw)


def choice_param(request: web.Request, name: str, choices: tuple[str, ...]) -> str | None:
    """One of `choices`, or None when absent (an empty value is a 400, not "no filter")."""
    raw = request.query.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise Problem(400, f"Query parameter {name} must be one of: {', '.join(choices)}.")
    return raw


def uuid_param(request: web.Request, name: str) -> str | None:
    """A record id given as a filter, canonical lower-case, or None when absent."""
    raw = request.query.get(name)
    if raw is None:
        return None
    if not _UUID.match(raw):
        raise Problem(400, f"Query parameter {name} must be a UUID.")
    return raw.lower()


def text_param(raw: str | None, name: str) -> str | None:
    if not raw:
        return None
    if "\x00" in raw or len(raw) > 200:
        raise Problem(400, f"Query parameter {name} must be at most 200 characters, without NUL.")
    return raw


def cursor_param(request: web.Request) -> str | None:
    """The `cursor` of a previous page, or None; an empty one cannot have been issued."""
    raw = request.query.get("cursor")
    if raw is None:
        return None
    if not raw or len(raw) > 500:
        raise Problem(400, "Query parameter cursor is not one this service issued.")
    return raw


def time_param(raw: str | None, name: str) -> datetime | None:
    """An RFC 3339 date-time with offset, or None when the parameter is absent; an empty value
    is a 400 like any other that is not a date-time (it would silently mean "no filter")."""
    if raw is None:
        return None
    try:
        if not raw or len(raw) > 64:
            raise ValueError("not a date-time")
        # A `+` of an unencoded offset arrives as a space.
        parsed = datetime.fromisoformat(raw.replace(" ", "+").replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError("no offset")
        return parsed.astimezone(UTC)  # also refuses instants beyond year 9999 in UTC
    except (ValueError, OverflowError):
        raise Problem(
            400, f"Query parameter {name} must be an RFC 3339 date-time with offset."
        ) from None
