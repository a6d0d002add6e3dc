"""The authorisation matrix: every route of intake and the notifier (enumerated from the apps'
routers, so a new route without a row fails) x every organisation kind and no token, including
other organisations' records: another force's alert (read while active, never changed), another
centre's registration, another investigator's subscription, a match of another force's alert.
Both services run for real, on the real PostgreSQL and Kafka; the notifier forwards record reads
to the running intake. A last pass drains the per-address rate limit: every route but the
operations ones then answers 429."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.common.auth import AuthSettings
from services.common.config import CommonSettings
from services.common.rate_limit import RATE_LIMITS, RateLimitSettings, TokenBuckets
from services.common.schema_registry import SchemaRegistry
from services.intake.app import create_app as create_intake
from services.intake.config import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.config import NotifierSettings
from tests.integration.intake import bodies
from tests.integration.intake.conftest import Keys, TokenFactory, bearer
from tests.integration.notifier import events
from tests.integration.notifier.flow import eventually, poll_until, publish

# Callers: every organisation kind, another organisation of the kinds that own records, no token.
CALLERS: dict[str, tuple[str, str | None] | None] = {
    "police": ("police", None),  # it-ps-imperia: issues the alerts below
    "police_other": ("police", "fr-pn-nice"),
    "centre": ("reception_centre", None),  # it-centre-roja: records the registration
    "centre_other": ("reception_centre", "gr-centre-lesvos"),
    "ngo": ("ngo", None),
    "hotline": ("hotline", None),  # fr-hotline-116000: reports the sighting
    "investigator": ("investigator", None),  # eu-investigations: owns the subscription
    "investigator_other": ("investigator", "de-bka-investigations"),
    "auditor": ("auditor", None),
    "none": None,
}
PUBLIC = {c: 200 for c in CALLERS}


@dataclass(frozen=True)
class Row:
    """Expected status per caller; a caller not named gets `others` (no token: 401)."""

    path: str  # with {alert}, {registration}, {sighting}, {subscription}, {match} to fill
    allowed: dict[str, int]
    body: Callable[[], Any] | None = None
    others: int = 403
    fresh: tuple[str, ...] = field(default=())  # records made anew for every caller

    def expected(self, caller: str) -> int:
        if caller in self.allowed:
            return self.allowed[caller]
        return 401 if caller == "none" else self.others


def _both(status: int, *callers: str) -> dict[str, int]:
    return {c: status for c in callers}


# investigators read every organisation's records: the other investigator too
INVESTIGATORS = ("investigator", "investigator_other")
ALERT_READERS = _both(200, "police", "police_other", *INVESTIGATORS)
SUBSCRIBERS_OWN = ("police", "police_other", "investigator", "investigator_other")
REVIEW = {"decision": "confirmed", "revision": 1}
SUB_BODY = {"name": "m", "webhook": {"url": "http://127.0.0.1:9/hook"}}

INTAKE: dict[tuple[str, str], Row] = {
    ("POST", "/v1/alerts"): Row("/v1/alerts", _both(201, "police", "police_other"), bodies.alert),
    ("GET", "/v1/alerts"): Row("/v1/alerts", ALERT_READERS),
    ("GET", "/v1/alerts/{id}"): Row("{alert}", ALERT_READERS),
    ("GET", "/v1/alerts/{id}/history"): Row("{alert}/history", ALERT_READERS),
    ("PATCH", "/v1/alerts/{id}"): Row(
        "{alert}", {"police": 200}, lambda: {"risk_level": "critical"}, fresh=("alert",)
    ),
    ("POST", "/v1/alerts/{id}/resolve"): Row(
        "{alert}/resolve", {"police": 200}, lambda: {"resolution": "found"}, fresh=("alert",)
    ),
    # retention: only the issuing authority reads an alert's review date and extends it
    ("GET", "/v1/alerts/{id}/review"): Row("{alert}/review", {"police": 200}),
    ("POST", "/v1/alerts/{id}/extend"): Row(
        "{alert}/extend", {"police": 200}, lambda: {"reason": "Still missing; new lead."},
        fresh=("alert",),
    ),
    # PFIF: police export their own records, investigators everyone's; importing creates
    # sightings, so it is for those who report them (a JSON body: refused as 415 once allowed)
    ("GET", "/v1/pfif/persons"): Row(
        "/v1/pfif/persons", _both(200, "police", "police_other", *INVESTIGATORS)
    ),
    ("POST", "/v1/pfif/import"): Row(
        "/v1/pfif/import?as=sightings",
        _both(415, "police", "police_other", "ngo", "hotline"),
        lambda: {"not": "pfif"},
    ),
    ("POST", "/v1/registrations"): Row(
        "/v1/registrations", _both(201, "centre", "centre_other"), bodies.registration
    ),
    ("GET", "/v1/registrations/{id}"): Row("{registration}", _both(200, "centre", *INVESTIGATORS)),
    ("POST", "/v1/sightings"): Row(
        "/v1/sightings", _both(201, "police", "police_other", "ngo", "hotline"), bodies.sighting
    ),
    ("GET", "/v1/sightings/{id}"): Row("{sighting}", _both(200, "hotline", *INVESTIGATORS)),
    ("GET", "/v1/audit"): Row("/v1/audit", {"auditor": 200}),
    ("GET", "/v1/openapi.json"): Row("/v1/openapi.json", PUBLIC),
    ("GET", "/healthz"): Row("/healthz", PUBLIC),
    ("GET", "/readyz"): Row("/readyz", PUBLIC),
    ("GET", "/metrics"): Row("/metrics", PUBLIC),
}

# Notifications and the match queue are scoped to the caller's organisation: any valid token
# reads its own (empty for kinds that are never notified). Another's subscription is not even
# visible (404) to those who may subscribe.
ANY_TOKEN = _both(200, *[c for c in CALLERS if c != "none"])
OWN_SUB = {**_both(404, *SUBSCRIBERS_OWN), "investigator": 200}
NOTIFIER: dict[tuple[str, str], Row] = {
    ("POST", "/v1/subscriptions"): Row(
        "/v1/subscriptions", _both(201, *SUBSCRIBERS_OWN), lambda: SUB_BODY
    ),
    ("GET", "/v1/subscriptions"): Row("/v1/subscriptions", _both(200, *SUBSCRIBERS_OWN)),
    ("GET", "/v1/subscriptions/{id}"): Row("{subscription}", OWN_SUB),
    ("PATCH", "/v1/subscriptions/{id}"): Row(
        "{subscription}", OWN_SUB, lambda: {"name": "renamed"}, fresh=("subscription",)
    ),
    ("DELETE", "/v1/subscriptions/{id}"): Row(
        "{subscription}", {**OWN_SUB, "investigator": 204}, fresh=("subscription",)
    ),
    ("POST", "/v1/subscriptions/{id}/webhook/enable"): Row(
        "{subscription}/webhook/enable", OWN_SUB
    ),
    ("GET", "/v1/subscriptions/{id}/deliveries"): Row("{subscription}/deliveries", OWN_SUB),
    ("GET", "/v1/notifications"): Row("/v1/notifications", ANY_TOKEN),
    ("GET", "/v1/notifications/stream"): Row("/v1/notifications/stream", ANY_TOKEN),
    ("GET", "/v1/matches"): Row("/v1/matches", ANY_TOKEN),
    ("GET", "/v1/matches/{id}"): Row(
        "/v1/matches/{match}", _both(200, "police", "investigator", "investigator_other")
    ),
    ("POST", "/v1/matches/{id}/review"): Row(
        "/v1/matches/{match}/review",
        _both(201, "police", "investigator", "investigator_other"),
        lambda: REVIEW,
        fresh=("match",),
    ),
    # the record as intake shows it to the caller: intake's own rules, through its audited door
    ("GET", "/v1/intake/alerts/{id}"): Row("/v1/intake/alerts/{alert_id}", ALERT_READERS),
    ("GET", "/v1/intake/registrations/{id}"): Row(
        "/v1/intake/registrations/{registration_id}", _both(200, "centre", *INVESTIGATORS)
    ),
    ("GET", "/v1/intake/sightings/{id}"): Row(
        "/v1/intake/sightings/{sighting_id}", _both(200, "hotline", *INVESTIGATORS)
    ),
    ("GET", "/v1/openapi.json"): Row("/v1/openapi.json", PUBLIC),
    ("GET", "/"): Row("/", _both(302, *CALLERS)),
    ("GET", "/dashboard/"): Row("/dashboard/", PUBLIC),
    ("GET", "/dashboard/static"): Row("/dashboard/static/css/dashboard.css", PUBLIC),
    ("HEAD", "/dashboard/static"): Row("/dashboard/static/css/dashboard.css", PUBLIC),
    ("GET", "/healthz"): Row("/healthz", PUBLIC),
    ("GET", "/readyz"): Row("/readyz", PUBLIC),
    ("GET", "/metrics"): Row("/metrics", PUBLIC),
}
OPS = {"/healthz", "/readyz", "/metrics"}


def routes_of(app: web.Application) -> set[tuple[str, str]]:
    return {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource}


class World:
    """Both services, tokens for every caller, and records to aim at."""

    def __init__(self, intake: TestClient[Any, Any], notifier: TestClient[Any, Any]) -> None:
        self.intake, self.notifier = intake, notifier
        self.tokens: dict[str, str | None] = {}
        self.paths: dict[str, str] = {}
        self.matches: list[str] = []

    def headers(self, caller: str) -> dict[str, str]:
        value = self.tokens[caller]
        return bearer(value) if value else {}

    async def create(self, client: TestClient[Any, Any], caller: str, path: str, body: Any) -> str:
        response = await client.post(path, json=body, headers=self.headers(caller))
        assert response.status == 201, await response.text()
        return str(response.headers["Location"])

    async def fresh(self, name: str) -> str:
        if name == "alert":
            return await self.create(self.intake, "police", "/v1/alerts", bodies.alert())
        if name == "subscription":
            return await self.create(self.notifier, "investigator", "/v1/subscriptions", SUB_BODY)
        return self.matches.pop()

    async def check(self, client: TestClient[Any, Any], row: Row, method: str) -> list[str]:
        wrong: list[str] = []
        for caller in CALLERS:
            paths = dict(self.paths)
            for name in row.fresh:
                paths[name] = await self.fresh(name)
            path = row.path.format(**paths)
            body = row.body() if row.body else None
            response = await client.request(
                method, path, json=body, headers=self.headers(caller), allow_redirects=False
            )
            status = response.status
            if status >= 400:
                assert response.content_type == "application/problem+json", (path, caller)
            response.close()
            if status != row.expected(caller):
                wrong.append(f"{method} {row.path} as {caller}: {status} != {row.expected(caller)}")
        return wrong


async def _setup(world: World, token: TokenFactory, settings: CommonSettings) -> None:
    for caller, who in CALLERS.items():
        world.tokens[caller] = token(who[0], who[1]) if who else None
    w = world
    w.paths["alert"] = await w.create(w.intake, "police", "/v1/alerts", bodies.alert())
    w.paths["registration"] = await w.create(
        w.intake, "centre", "/v1/registrations", bodies.registration()
    )
    w.paths["sighting"] = await w.create(w.intake, "hotline", "/v1/sightings", bodies.sighting())
    for name in ("alert", "registration", "sighting"):
        w.paths[f"{name}_id"] = w.paths[name].rsplit("/", 1)[1]
    w.paths["subscription"] = await w.fresh("subscription")
    proposals = []
    for _ in range(len(CALLERS) + 1):  # a fresh match per caller of the review row, one to read
        alert, sighting = events.alert(), events.sighting()
        proposals += [alert, sighting, events.proposed(alert, sighting)]
    await publish(settings, proposals)
    notes = await poll_until(w.notifier, str(w.tokens["police"]), len(CALLERS) + 1, timeout=60)
    w.matches = [str(n["match"]["match_id"]) for n in notes]
    w.paths["match"] = w.matches.pop()

    async def ready() -> bool:
        statuses = [(await c.get("/readyz")).status for c in (world.intake, world.notifier)]
        return statuses == [200, 200]

    await eventually(ready, timeout=60, what="both services ready")


async def test_every_route_of_every_service_for_every_caller(
    settings: CommonSettings, keys: Keys, token: TokenFactory, registry: SchemaRegistry
) -> None:
    auth = AuthSettings(public_keys=keys.folder, private_key=keys.folder / "test.pem")
    generous = RateLimitSettings(subject_rate=0, address_rate=0)  # the matrix, not the limits
    intake_app = create_intake(
        IntakeSettings(common=settings, auth=auth, relay_poll_interval=0.2, rate_limits=generous),
        registry,
    )
    assert routes_of(intake_app) == set(INTAKE), "every intake route needs a row, and only those"
    async with TestClient(TestServer(intake_app)) as intake:
        notifier_settings = NotifierSettings(
            common=settings,
            auth=auth,
            intake_url=str(intake.make_url("")).rstrip("/"),
            rate_limits=generous,
            sse_heartbeat_seconds=0.5,
        )
        notifier_app = create_notifier(notifier_settings, registry)
        assert routes_of(notifier_app) == set(NOTIFIER), "every notifier route needs a row"
        async with TestClient(TestServer(notifier_app)) as notifier:
            world = World(intake, notifier)
            await _setup(world, token, settings)
            wrong: list[str] = []
            for client, rows in ((intake, INTAKE), (notifier, NOTIFIER)):
                for (method, _), row in rows.items():
                    wrong += await world.check(client, row, method)
            assert wrong == [], "\n".join(wrong)
            await _rate_limited_everywhere(world, ((intake, INTAKE), (notifier, NOTIFIER)))


async def _rate_limited_everywhere(world: World, services: Any) -> None:
    """With the address bucket empty, every route but the operations ones answers 429."""
    for client, rows in services:
        limits = client.app[RATE_LIMITS]
        limits.addresses = TokenBuckets(rate=0.001, burst=1, clock=time.monotonic)
        limits.addresses.take("127.0.0.1")
        for (method, canonical), row in rows.items():
            path = row.path.format(**world.paths)
            response = await client.request(
                method, path, headers=world.headers("investigator"), allow_redirects=False
            )
            expected = 200 if canonical in OPS else 429
            assert response.status == expected, (method, canonical)
            if expected == 429:
                assert int(response.headers["Retry-After"]) >= 1
            response.close()
