"""The notifier's HTTP adapter: routes for subscriptions, notifications (poll and SSE), the match
queue and reviews, the forwarding route to intake's audited reads, the dashboard; no rules.

Domain errors become problem+json in the shared middleware (services.common.http_server).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from services.common.http_problems import Problem
from services.common.http_requests import (
    authenticate,
    choice_param,
    idempotency,
    int_param,
    limit_param,
    respond,
    uuid_param,
)
from services.common.http_server import REQUEST_ID, json_response, read_json
from services.notifier.config import NotifierSettings
from services.notifier.handlers import NotifierHandlers
from services.notifier.metrics import SSE_STREAMS
from services.notifier.stream import PAGE, NotificationHub, follow, last_event_id, open_stream

HANDLERS: web.AppKey[NotifierHandlers] = web.AppKey("handlers", NotifierHandlers)
SETTINGS: web.AppKey[NotifierSettings] = web.AppKey("settings", NotifierSettings)
HUB: web.AppKey[NotificationHub] = web.AppKey("hub", NotificationHub)
INTAKE_CLIENT: web.AppKey[aiohttp.ClientSession] = web.AppKey("intake", aiohttp.ClientSession)
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi", dict)

STATIC_DIR = Path(__file__).resolve().parent / "static"
PATHS = {"subscription": "/v1/subscriptions/", "match": "/v1/matches/"}
# The dashboard loads nothing from another site: scripts, styles, data and the map are ours.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _handlers(request: web.Request) -> NotifierHandlers:
    return request.app[HANDLERS]


async def _body(request: web.Request) -> Any:
    settings = request.app[SETTINGS]
    return await read_json(
        request,
        settings.max_body_bytes,
        extra_types=("application/merge-patch+json",),
        timeout=settings.body_timeout_seconds,
    )


def _limit(request: web.Request) -> int:
    return limit_param(request, request.app[SETTINGS].page_size_max)


def _since(request: web.Request) -> int:
    """The notification seq to read after (0: from the beginning)."""
    return int_param(request, "since", default=0, minimum=0, maximum=10**18 - 1)


def _subscription_filter(request: web.Request) -> str | None:
    return uuid_param(request, "subscription_id")


# -- subscriptions ---------------------------------------------------------------------


async def create_subscription(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    rules = _handlers(request).subscriptions
    return respond(await rules.create(caller, body, idempotency(request, body)), PATHS)


async def list_subscriptions(request: web.Request) -> web.Response:
    caller = authenticate(request)
    return respond(await _handlers(request).subscriptions.list(caller), PATHS)


async def read_subscription(request: web.Request) -> web.Response:
    caller = authenticate(request)
    outcome = await _handlers(request).subscriptions.read(caller, request.match_info["id"])
    return respond(outcome, PATHS)


async def update_subscription(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    rules = _handlers(request).subscriptions
    return respond(await rules.update(caller, request.match_info["id"], body), PATHS)


async def delete_subscription(request: web.Request) -> web.Response:
    caller = authenticate(request)
    outcome = await _handlers(request).subscriptions.delete(caller, request.match_info["id"])
    return respond(outcome, PATHS)


async def enable_webhook(request: web.Request) -> web.Response:
    caller = authenticate(request)
    rules = _handlers(request).subscriptions
    return respond(await rules.enable_webhook(caller, request.match_info["id"]), PATHS)


async def deliveries(request: web.Request) -> web.Response:
    caller = authenticate(request)
    rules = _handlers(request).subscriptions
    outcome = await rules.deliveries(caller, request.match_info["id"], _limit(request))
    return respond(outcome, PATHS)


# -- notifications ---------------------------------------------------------------------


async def poll(request: web.Request) -> web.Response:
    caller = authenticate(request)
    outcome = await _handlers(request).notifications(
        caller,
        since=_since(request),
        limit=_limit(request),
        subscription_id=_subscription_filter(request),
    )
    return respond(outcome, PATHS)


async def stream(request: web.Request) -> web.StreamResponse:
    """SSE: what follows Last-Event-ID, then live; a heartbeat comment when idle."""
    caller = authenticate(request)
    after = last_event_id(request)
    subscription_id = _subscription_filter(request)
    hub = request.app[HUB]
    heartbeat = request.app[SETTINGS].sse_heartbeat_seconds
    handlers = _handlers(request)

    async def read(since: int) -> list[dict[str, Any]]:
        outcome = await handlers.notifications(
            caller, since=since, limit=PAGE, subscription_id=subscription_id
        )
        items: list[dict[str, Any]] = outcome.body["items"]
        return items

    response = await open_stream(request)
    woken = hub.watch(caller.principal.org)
    SSE_STREAMS.inc()
    try:
        # A client that goes away surfaces as ConnectionResetError on write: it resumes later
        # with Last-Event-ID, so there is nothing to clean up but the watch.
        with contextlib.suppress(ConnectionResetError):
            await follow(response, read, hub, woken, after, heartbeat)
            await response.write_eof()
    finally:
        SSE_STREAMS.dec()
        hub.unwatch(caller.principal.org, woken)
    return response


# -- matches and reviews ---------------------------------------------------------------


async def list_matches(request: web.Request) -> web.Response:
    caller = authenticate(request)
    status = choice_param(request, "status", ("open", "all")) or "open"
    outcome = await _handlers(request).queue(
        caller, open_only=status == "open", limit=_limit(request)
    )
    return respond(outcome, PATHS)


async def read_match(request: web.Request) -> web.Response:
    caller = authenticate(request)
    return respond(await _handlers(request).match(caller, request.match_info["id"]), PATHS)


async def review_match(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    handlers = _handlers(request)
    outcome = await handlers.review(
        caller, request.match_info["id"], body, idempotency(request, body)
    )
    return respond(outcome, PATHS)


# -- details through intake's audited door ---------------------------------------------


def _forwarder(kind: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def forward(request: web.Request) -> web.Response:
        """The record as intake shows it to this caller: intake authorises and audits the
        read with the caller's own token; the notifier keeps nothing of it."""
        authenticate(request)
        record_id = request.match_info["id"]
        url = f"{request.app[SETTINGS].intake_url}/v1/{kind}/{record_id}"
        headers = {
            "Authorization": request.headers["Authorization"],
            "X-Request-Id": request[REQUEST_ID],
        }
        try:
            async with request.app[INTAKE_CLIENT].get(url, headers=headers) as upstream:
                body = await upstream.read()
                return web.Response(
                    status=upstream.status,
                    body=body,
                    headers={"Content-Type": upstream.headers.get("Content-Type", "")},
                )
        except (aiohttp.ClientError, TimeoutError):
            raise Problem(503, "Intake, which holds the record, is not answering.") from None

    return forward


# -- dashboard and documents -----------------------------------------------------------


async def dashboard(_: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The dashboard's pages may load only this site's own scripts, styles and data."""
    if request.path.startswith("/dashboard"):
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


async def to_dashboard(_: web.Request) -> web.Response:
    raise web.HTTPFound("/dashboard/")


async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI])


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1/subscriptions", create_subscription)
    r.add_get("/v1/subscriptions", list_subscriptions, allow_head=False)
    r.add_get("/v1/subscriptions/{id}", read_subscription, allow_head=False)
    r.add_patch("/v1/subscriptions/{id}", update_subscription)
    r.add_delete("/v1/subscriptions/{id}", delete_subscription)
    r.add_post("/v1/subscriptions/{id}/webhook/enable", enable_webhook)
    r.add_get("/v1/subscriptions/{id}/deliveries", deliveries, allow_head=False)
    r.add_get("/v1/notifications", poll, allow_head=False)
    r.add_get("/v1/notifications/stream", stream, allow_head=False)
    r.add_get("/v1/matches", list_matches, allow_head=False)
    r.add_get("/v1/matches/{id}", read_match, allow_head=False)
    r.add_post("/v1/matches/{id}/review", review_match)
    for kind in ("alerts", "registrations", "sightings"):
        r.add_get(f"/v1/intake/{kind}/{{id}}", _forwarder(kind), allow_head=False)
    r.add_get("/v1/openapi.json", openapi, allow_head=False)
    r.add_get("/", to_dashboard, allow_head=False)
    r.add_get("/dashboard/", dashboard, allow_head=False)
    if STATIC_DIR.is_dir():
        r.add_static("/dashboard/static/", STATIC_DIR, append_version=False)
