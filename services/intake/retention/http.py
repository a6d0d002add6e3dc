"""HTTP doors of retention on intake: an alert's review state, and its extension with a reason."""

from __future__ import annotations

from aiohttp import web

from services.common.http_requests import authenticate, idempotency, respond
from services.common.http_server import read_json
from services.intake.http import PATHS, SETTINGS
from services.intake.retention.review import ReviewHandlers

REVIEWS: web.AppKey[ReviewHandlers] = web.AppKey("reviews", ReviewHandlers)


async def get_review(request: web.Request) -> web.Response:
    caller = authenticate(request)
    outcome = await request.app[REVIEWS].review(caller, request.match_info["id"])
    return respond(outcome, PATHS)


async def extend(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    outcome = await request.app[REVIEWS].extend(
        caller, request.match_info["id"], body, idempotency(request, body)
    )
    return respond(outcome, PATHS)


def add_retention_routes(app: web.Application) -> None:
    app.router.add_get("/v1/alerts/{id}/review", get_review, allow_head=False)
    app.router.add_post("/v1/alerts/{id}/extend", extend)
