"""Intake's HTTP adapter: routes, bearer authentication, query parsing, and how outcomes become
responses (status, Location); no business rules. Domain errors become problem+json in the
shared middleware (services.common.http_server)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from services.common.http_problems import Problem
from services.common.http_requests import (
    authenticate,
    choice_param,
    cursor_param,
    idempotency,
    limit_param,
    respond,
    text_param,
    time_param,
)
from services.common.http_server import json_response, read_body, read_json
from services.intake.config import IntakeSettings
from services.intake.handlers import IntakeHandlers
from services.intake.pfif_cases import PfifCases
from services.intake.repository import AuditQuery

HANDLERS: web.AppKey[IntakeHandlers] = web.AppKey("handlers", IntakeHandlers)
SETTINGS: web.AppKey[IntakeSettings] = web.AppKey("settings", IntakeSettings)
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi", dict)
PFIF: web.AppKey[PfifCases] = web.AppKey("pfif", PfifCases)
PFIF_TYPES = ("application/xml", "text/xml")

PATHS = {"alert": "/v1/alerts/", "registration": "/v1/registrations/", "sighting": "/v1/sightings/"}


async def _body(request: web.Request) -> Any:
    settings = request.app[SETTINGS]
    return await read_json(
        request,
        settings.max_body_bytes,
        extra_types=("application/merge-patch+json",),
        timeout=settings.body_timeout_seconds,
    )


def _handlers(request: web.Request) -> IntakeHandlers:
    return request.app[HANDLERS]


async def post_alert(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    return respond(
        await _handlers(request).publish_alert(caller, body, idempotency(request, body)), PATHS
    )


async def patch_alert(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    alert_id = request.match_info["id"]
    return respond(
        await _handlers(request).update_alert(caller, alert_id, body, idempotency(request, body)),
        PATHS,
    )


async def resolve_alert(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    alert_id = request.match_info["id"]
    return respond(
        await _handlers(request).resolve_alert(caller, alert_id, body, idempotency(request, body)),
        PATHS,
    )


async def post_registration(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    idem = idempotency(request, body)
    return respond(await _handlers(request).record_registration(caller, body, idem), PATHS)


async def post_sighting(request: web.Request) -> web.Response:
    caller = authenticate(request)
    body = await _body(request)
    return respond(
        await _handlers(request).report_sighting(caller, body, idempotency(request, body)), PATHS
    )


def _reader(record_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def get_one(request: web.Request) -> web.Response:
        caller = authenticate(request)
        return respond(
            await _handlers(request).read(caller, record_type, request.match_info["id"]), PATHS
        )

    return get_one


async def alert_history(request: web.Request) -> web.Response:
    caller = authenticate(request)
    return respond(await _handlers(request).alert_history(caller, request.match_info["id"]), PATHS)


async def list_alerts(request: web.Request) -> web.Response:
    caller = authenticate(request)
    q = request.query
    outcome = await _handlers(request).list_alerts(
        caller,
        status=choice_param(request, "status", ("active", "resolved")),
        updated_since=time_param(q.get("updated_since"), "updated_since"),
        cursor=cursor_param(request),
        limit=_limit(request),
    )
    return respond(outcome, PATHS)


async def read_audit(request: web.Request) -> web.Response:
    caller = authenticate(request)
    q = request.query
    query = AuditQuery(
        org_id=text_param(q.get("org_id"), "org_id"),
        record_id=text_param(q.get("record_id"), "record_id"),
        action=text_param(q.get("action"), "action"),
        since=time_param(q.get("since"), "since"),
        until=time_param(q.get("until"), "until"),
    )
    outcome = await _handlers(request).read_audit(
        caller, query, cursor=cursor_param(request), limit=_limit(request)
    )
    return respond(outcome, PATHS)


def _limit(request: web.Request) -> int:
    return limit_param(request, request.app[SETTINGS].page_size_max)


async def pfif_export(request: web.Request) -> web.Response:
    """PFIF feed, as Person Finder's read API: `min_entry_date`, `skip`, `max_results`."""
    caller = authenticate(request)
    q = request.query
    max_results = _int_param(
        q.get("max_results"), "max_results", 1, request.app[SETTINGS].page_size_max, 100
    )
    document = await request.app[PFIF].export(
        caller,
        version=q.get("version") or "1.4",
        min_entry_date=time_param(q.get("min_entry_date"), "min_entry_date"),
        skip=_int_param(q.get("skip"), "skip", 0, 10**9, 0),
        max_results=max_results,
    )
    return web.Response(body=document, content_type="application/xml", charset="utf-8")


async def pfif_import(request: web.Request) -> web.Response:
    caller = authenticate(request)
    request.app[PFIF].authorise_import(caller, request.query.get("as", ""))
    settings = request.app[SETTINGS]
    data = await read_body(
        request, settings.max_body_bytes, PFIF_TYPES, timeout=settings.body_timeout_seconds
    )
    report = await request.app[PFIF].import_file(caller, data, request.query.get("as", ""))
    status = 201 if report.created else 200
    return json_response(report.as_json(), status=status)


def _int_param(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Problem(400, f"Query parameter {name} must be an integer from {low} to {high}.")
    return value


async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI])


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1/alerts", post_alert)
    r.add_get("/v1/alerts", list_alerts, allow_head=False)
    r.add_get("/v1/alerts/{id}", _reader("alert"), allow_head=False)
    r.add_get("/v1/alerts/{id}/history", alert_history, allow_head=False)
    r.add_patch("/v1/alerts/{id}", patch_alert)
    r.add_post("/v1/alerts/{id}/resolve", resolve_alert)
    r.add_post("/v1/registrations", post_registration)
    r.add_get("/v1/registrations/{id}", _reader("registration"), allow_head=False)
    r.add_post("/v1/sightings", post_sighting)
    r.add_get("/v1/sightings/{id}", _reader("sighting"), allow_head=False)
    r.add_get("/v1/audit", read_audit, allow_head=False)
    r.add_get("/v1/pfif/persons", pfif_export, allow_head=False)
    r.add_post("/v1/pfif/import", pfif_import)
    r.add_get("/v1/openapi.json", openapi, allow_head=False)
