"""Rate limits of the HTTP APIs: a token bucket per token subject and one per source address.

Each bucket holds up to `burst` requests and refills at `rate` per second; a request that finds
its bucket empty is refused with 429, `Retry-After` (whole seconds until a request fits again)
and a problem+json body. The operations routes (/healthz, /readyz, /metrics) are never limited.
The buckets live in the process: with several instances behind a balancer each one limits on its
own, so the effective limit is the configured one times the number of instances.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from services.common.config import env_float
from services.common.http_problems import Problem

Clock = Callable[[], float]
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(frozen=True)
class RateLimitSettings:
    """KINLINK_RATE_LIMIT_SUBJECT_RPS (20) and KINLINK_RATE_LIMIT_SUBJECT_BURST (100) per token
    subject; KINLINK_RATE_LIMIT_ADDRESS_RPS (50) and KINLINK_RATE_LIMIT_ADDRESS_BURST (200) per
    source address. A rate of 0 switches that limit off."""

    subject_rate: float = 20.0
    subject_burst: float = 100.0
    address_rate: float = 50.0
    address_burst: float = 200.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RateLimitSettings:
        env = os.environ if env is None else env
        return cls(
            subject_rate=env_float(env, "KINLINK_RATE_LIMIT_SUBJECT_RPS", 20.0),
            subject_burst=env_float(env, "KINLINK_RATE_LIMIT_SUBJECT_BURST", 100.0),
            address_rate=env_float(env, "KINLINK_RATE_LIMIT_ADDRESS_RPS", 50.0),
            address_burst=env_float(env, "KINLINK_RATE_LIMIT_ADDRESS_BURST", 200.0),
        )


class TokenBuckets:
    """One bucket per key. Buckets that have refilled completely are forgotten when the table
    grows past `max_keys` (a full bucket is what a new key gets anyway)."""

    def __init__(self, rate: float, burst: float, clock: Clock, max_keys: int = 10_000) -> None:
        if rate < 0 or (rate > 0 and burst < 1):
            raise ValueError("a rate limit needs rate >= 0 and, when on, a burst of at least 1")
        self._rate, self._burst, self._clock, self._max = rate, burst, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float | None:
        """None if the request may go ahead, else the seconds until it would."""
        if self._rate == 0:
            return None
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._rate
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > self._max:
            self._forget_full(now)
        return None

    def _forget_full(self, now: float) -> None:
        full = [
            key
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._rate >= self._burst
        ]
        for key in full:
            del self._buckets[key]


class RateLimits:
    """The two limits of one service instance."""

    def __init__(self, settings: RateLimitSettings, clock: Clock = time.monotonic) -> None:
        self.subjects = TokenBuckets(settings.subject_rate, settings.subject_burst, clock)
        self.addresses = TokenBuckets(settings.address_rate, settings.address_burst, clock)

    def check_subject(self, subject: str) -> None:
        _refuse_if(self.subjects.take(subject), "this token")

    def check_address(self, address: str) -> None:
        _refuse_if(self.addresses.take(address), "this address")


def _refuse_if(wait: float | None, whom: str) -> None:
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise Problem(
            429,
            f"Too many requests from {whom}; retry after {seconds} s.",
            headers={"Retry-After": str(seconds)},
        )


RATE_LIMITS: web.AppKey[RateLimits] = web.AppKey("rate_limits", RateLimits)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def limit_addresses(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The per-address limit, before anything else is done for the request (the per-subject
    limit is checked once the token is verified: services.common.http_requests.authenticate)."""
    limits = request.app.get(RATE_LIMITS)
    if limits is not None and request.path not in UNLIMITED_PATHS:
        limits.check_address(request.remote or "unknown")
    return await handler(request)
