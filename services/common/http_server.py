"""Shared aiohttp plumbing: request ids, access metrics, problem+json errors, JSON bodies, and
the operations routes every service serves (/healthz, /readyz, /metrics).

Every HTTP service installs `standard_middlewares` and `add_ops_routes` and reads bodies with
`read_json`, so errors and health look the same everywhere and logs carry the request id, never
data. Use cases raise domain errors; the middleware maps them to problem+json in one place.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from services.common.errors import DomainError
from services.common.http_problems import (
    Problem,
    from_http_exception,
    problem_from,
    problem_response,
)
from services.common.json_codec import dumps
from services.common.json_limits import JsonRefused, parse_json
from services.common.logging import get_logger
from services.common.rate_limit import limit_addresses
from services.common.tracing import activate as activate_trace
from services.common.tracing import continue_from

log = get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What access logs and metrics record for a request the client abandoned (nginx's convention).
CLIENT_CLOSED = 499
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

HTTP_REQUESTS = Counter(
    "kinlink_http_requests_total", "HTTP requests handled", ["service", "route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "kinlink_http_request_seconds",
    "HTTP request latency",
    ["service", "route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def route_label(request: web.Request) -> str:
    """The route template (`/v1/alerts/{id}`), so metrics do not explode per id."""
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else "unmatched"


def _started(request: web.Request) -> bool:
    """Whether part of the response went out already (a stream, such as SSE).

    A problem response then would be written into that body while the connection is kept
    alive, leaving the client waiting on a stream that never speaks again: the error is left
    to aiohttp, which closes the connection, and the client reconnects (with Last-Event-ID).
    """
    return bool(request.writer.output_size > 0)


def standard_middlewares(service: str) -> list[Any]:
    """Request id, trace and logging context, then metrics, then problem rendering, then the
    per-address rate limit (outermost first; the limit is on only where the app holds
    RATE_LIMITS)."""

    @web.middleware
    async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("X-Request-Id", "")
        request_id = given if _REQUEST_ID_RE.match(given) else str(uuid.uuid4())
        request[REQUEST_ID] = request_id
        # The request is a span of the caller's trace (a new trace if it sent no traceparent);
        # events written while handling it carry that span (services.common.tracing).
        state = ",".join(request.headers.getall("tracestate", ())) or None
        trace = continue_from(request.headers.get("traceparent"), state)
        with (
            structlog.contextvars.bound_contextvars(request_id=request_id, service=service),
            activate_trace(trace),
        ):
            response = await handler(request)
        response.headers["X-Request-Id"] = request_id
        # W3C Trace Context level 2: tells a caller that sent no traceparent which trace to grep.
        response.headers["traceresponse"] = trace.traceparent
        return response

    @web.middleware
    async def metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:  # a redirect the problems middleware lets through
            status = exc.status
            raise
        except asyncio.CancelledError:
            # The client went away (an SSE stream closed, a timeout): not a server error. 499 is
            # nginx's "client closed request", so dashboards keep it out of the 5xx rate.
            status = CLIENT_CLOSED
            raise
        finally:
            route = route_label(request)
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(service, route, request.method, str(status)).inc()
            HTTP_LATENCY.labels(service, route, request.method).observe(elapsed)
            # The route template, never the path or query: those can carry ids and filters.
            log.info(
                "http request",
                method=request.method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )

    @web.middleware
    async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
        # `instance` is the route template, never the path: a path can carry a name someone
        # typed where an id belongs, and a problem body must not repeat it.
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400 or _started(request):
                raise
            return problem_response(from_http_exception(exc), route_label(request))
        except Exception as exc:
            if _started(request):
                log.exception("error after the response started", route=route_label(request))
                raise
            if isinstance(exc, Problem):
                return problem_response(exc, route_label(request))
            if isinstance(exc, DomainError):
                return problem_response(problem_from(exc), route_label(request))
            log.exception("unhandled error", route=route_label(request), method=request.method)
            return problem_response(
                Problem(500, "The server could not handle this request."), route_label(request)
            )

    return [request_context, metrics, problems, limit_addresses]


JSON_TYPES = ("application/json",)


# The HTTP parser's limits, set explicitly (aiohttp's defaults, written down): a longer request
# line or header, or more headers, is refused with 400 before the application sees it.
class HttpLimits(TypedDict):
    max_line_size: int
    max_field_size: int
    max_headers: int


HTTP_LIMITS = HttpLimits(max_line_size=8190, max_field_size=8190, max_headers=100)


async def read_body(
    request: web.Request, max_bytes: int, types: tuple[str, ...], *, timeout: float = 30.0
) -> bytes:
    """The raw body: 415 for a content type not in `types`, 413 over `max_bytes` (also the
    application's `client_max_size`, which aiohttp enforces on read), 408 if the body has not
    arrived within `timeout` seconds (a client trickling bytes)."""
    if request.content_type not in types:
        raise Problem(415, f"Send the body as {types[0]}.")
    limit = max_bytes
    if request.content_length is not None and request.content_length > limit:
        raise Problem(413, f"The request body exceeds {limit} bytes.", close=True)
    try:
        async with asyncio.timeout(timeout):
            raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Problem(413, f"The request body exceeds {limit} bytes.", close=True) from None
    except TimeoutError:
        raise Problem(
            408, f"The request body did not arrive within {timeout:g} seconds.", close=True
        ) from None
    if len(raw) > limit:
        raise Problem(413, f"The request body exceeds {limit} bytes.", close=True)
    return raw


async def read_json(
    request: web.Request,
    max_bytes: int,
    *,
    extra_types: tuple[str, ...] = (),
    timeout: float = 30.0,
) -> Any:
    """The parsed JSON body (read_body's refusals), 400 if it is not strict JSON
    (services.common.json_limits: also nesting deeper than MAX_JSON_DEPTH)."""
    raw = await read_body(request, max_bytes, (*JSON_TYPES, *extra_types), timeout=timeout)
    try:
        return parse_json(raw)
    except JsonRefused as exc:
        raise Problem(400, f"The body is {_refusal(exc)}.") from None


def _refusal(exc: JsonRefused) -> str:
    reason = str(exc)
    return reason if reason.startswith("not ") else f"JSON that {reason}"


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=dumps(body),
        content_type="application/json",
        headers=headers,
    )


ReadinessCheck = Callable[[], Awaitable[bool]]
MetricsProbe = Callable[[], Awaitable[None]]
# What /readyz checks (name -> check) and what /metrics refreshes first; filled by the
# service's cleanup context once its resources exist.
READINESS_CHECKS: web.AppKey[dict[str, ReadinessCheck]] = web.AppKey("readiness_checks", dict)
METRICS_PROBES: web.AppKey[list[MetricsProbe]] = web.AppKey("metrics_probes", list)


async def healthz(_: web.Request) -> web.Response:
    """Liveness: the process serves HTTP."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: every dependency and background worker is up (503 naming what is down)."""
    checks = request.app[READINESS_CHECKS]
    results = {name: await check() for name, check in checks.items()}
    ready = bool(results) and all(results.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {name: "up" if ok else "down" for name, ok in results.items()},
    }
    return json_response(body, 200 if ready else 503)


async def metrics_handler(request: web.Request) -> web.Response:
    """Prometheus text exposition of this process's metrics, probes refreshed first."""
    for probe in request.app.get(METRICS_PROBES, ()):
        await probe()
    response = web.Response(body=generate_latest())
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def add_ops_routes(app: web.Application) -> None:
    """/healthz, /readyz and /metrics, with empty check and probe lists to fill at start-up."""
    app[READINESS_CHECKS] = {}
    app[METRICS_PROBES] = []
    app.router.add_get("/healthz", healthz, allow_head=False)
    app.router.add_get("/readyz", readyz, allow_head=False)
    app.router.add_get("/metrics", metrics_handler, allow_head=False)
