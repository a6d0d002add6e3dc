"""Rate limits: a token bucket per token subject and per source address, refused with 429,
Retry-After and problem+json; operations routes never limited. Time is a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.auth import TokenVerifier, issue_token
from services.common.http_requests import VERIFIER, authenticate
from services.common.http_server import add_ops_routes, json_response, standard_middlewares
from services.common.rate_limit import RATE_LIMITS, RateLimits, RateLimitSettings, TokenBuckets

KEY = Ed25519PrivateKey.generate()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2.0, burst=3.0, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [None, None, None]
    assert buckets.take("a") == pytest.approx(0.5)  # one request refills in 1/rate seconds
    assert buckets.take("b") is None  # another key has its own bucket
    clock.now += 0.5
    assert buckets.take("a") is None and buckets.take("a") is not None
    clock.now += 100  # a long pause refills up to the burst, not beyond
    assert [buckets.take("a") for _ in range(4)][-1] is not None


def test_a_rate_of_zero_switches_the_limit_off_and_bad_settings_are_refused() -> None:
    buckets = TokenBuckets(rate=0, burst=0, clock=FakeClock())
    assert all(buckets.take("a") is None for _ in range(1000))
    with pytest.raises(ValueError):
        TokenBuckets(rate=1, burst=0.5, clock=FakeClock())


def test_full_buckets_are_forgotten_when_the_table_grows() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=1.0, burst=1.0, clock=clock, max_keys=10)
    for n in range(10):
        buckets.take(f"k{n}")
    clock.now += 5
    buckets.take("new")
    assert len(buckets._buckets) == 1  # every old bucket had refilled: nothing was lost
    assert buckets.take("new") is not None  # the live one is kept


def test_settings_come_from_the_environment() -> None:
    env = {"KINLINK_RATE_LIMIT_SUBJECT_RPS": "5", "KINLINK_RATE_LIMIT_ADDRESS_BURST": "9"}
    settings = RateLimitSettings.from_env(env)
    assert (settings.subject_rate, settings.address_burst) == (5.0, 9.0)
    assert settings.subject_burst == RateLimitSettings().subject_burst


@pytest.fixture
async def service() -> AsyncIterator[tuple[TestClient[Any, Any], FakeClock]]:
    async def hello(request: web.Request) -> web.Response:
        caller = authenticate(request)
        return json_response({"org": caller.principal.org})

    clock = FakeClock()
    app = web.Application(middlewares=standard_middlewares("test"))
    app[VERIFIER] = TokenVerifier({"k": KEY.public_key()})
    limits = RateLimitSettings(subject_rate=1, subject_burst=2, address_rate=1, address_burst=4)
    app[RATE_LIMITS] = RateLimits(limits, clock)
    app.router.add_get("/v1/hello", hello)
    add_ops_routes(app)
    async with TestClient(TestServer(app)) as client:
        yield client, clock


def _bearer(subject: str) -> dict[str, str]:
    token = issue_token(
        KEY, "k", org="it-ps-imperia", org_kind="police", country="ITA", subject=subject
    )
    return {"Authorization": f"Bearer {token}"}


async def test_a_subject_over_its_limit_gets_429_with_retry_after_and_a_problem(
    service: tuple[TestClient[Any, Any], FakeClock],
) -> None:
    client, clock = service
    officer = _bearer("it-ps-imperia/officer-1")
    assert [(await client.get("/v1/hello", headers=officer)).status for _ in range(2)] == [200, 200]
    refused = await client.get("/v1/hello", headers=officer)
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.content_type == "application/problem+json"
    problem = await refused.json()
    assert problem["status"] == 429 and problem["type"].endswith("rate-limited")
    # a colleague with their own token is not held up by this one
    assert (await client.get("/v1/hello", headers=_bearer("it-ps-imperia/o-2"))).status == 200
    clock.now += 1
    assert (await client.get("/v1/hello", headers=officer)).status == 200


async def test_an_address_over_its_limit_is_refused_before_authentication_but_ops_are_not(
    service: tuple[TestClient[Any, Any], FakeClock],
) -> None:
    client, clock = service
    statuses = [(await client.get("/v1/hello")).status for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]  # even without a token: no free guessing
    assert (await client.get("/v1/hello", headers=_bearer("x/y"))).status == 429
    for path in ("/healthz", "/metrics", "/readyz"):
        assert (await client.get(path)).status in (200, 503)
    clock.now += 3
    assert (await client.get("/v1/hello", headers=_bearer("x/y"))).status == 200
