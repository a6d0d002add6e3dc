"""RFC 9457 problem details: one exception type for HTTP errors and its JSON rendering.

HTTP adapters raise `Problem`; use cases raise domain errors (`services.common.errors`), which
`problem_from` maps here, in one place, for every service. The error middleware
(services.common.http_server) renders both as `application/problem+json`. Messages name the
failing field by JSON pointer and the rule it breaks, never the submitted value: request bodies
describe children.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from services.common.catalog import SCHEMA_BASE
from services.common.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    InvalidQuery,
    NotAllowed,
    NotFound,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = SCHEMA_BASE + "problems/"

_TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
_SLUGS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    408: "request-timeout",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}


@dataclass
class Problem(Exception):
    """An HTTP error the client can act on. `slug` names the problem type when the status
    alone is ambiguous (e.g. 422 for an idempotency key reused with another body)."""

    status: int
    detail: str
    errors: Sequence[FieldError] = ()
    slug: str | None = None
    title: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Close the connection after answering: the rest of the body is not worth reading.
    close: bool = False

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def body(self, instance: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + (self.slug or _SLUGS.get(self.status, "error")),
            "title": self.title or _TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            out["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in self.errors]
        return out


def problem_response(problem: Problem, instance: str) -> web.Response:
    """The `application/problem+json` response for a problem at `instance` (the route
    template of the request, e.g. /v1/alerts/{id})."""
    response = web.Response(
        status=problem.status,
        body=json.dumps(problem.body(instance), ensure_ascii=False).encode(),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=dict(problem.headers),
    )
    if problem.close:
        response.force_close()
    return response


def from_http_exception(exc: web.HTTPException) -> Problem:
    """aiohttp's own errors (unknown route, wrong method, body too large) as problems."""
    headers: dict[str, str] = {}
    if exc.status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    details = {
        404: "No resource at this path.",
        405: "This resource does not support that method.",
        413: "The request body exceeds the configured maximum size.",
    }
    return Problem(
        exc.status, details.get(exc.status, exc.reason), headers=headers, close=exc.status == 413
    )


# Domain error kinds and the HTTP status each becomes; the first matching class wins.
_STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (NotAllowed, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (InvalidQuery, 400),
)


def problem_from(error: DomainError) -> Problem:
    """The problem a use case's refusal becomes over HTTP."""
    status = next((code for kind, code in _STATUS_OF if isinstance(error, kind)), 400)
    errors = error.errors if isinstance(error, InvalidInput) else ()
    return Problem(status, error.detail, errors=errors, slug=error.code)
