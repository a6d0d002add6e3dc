"""A bounded HTTP load generator for loopback servers: fixed concurrency, fixed request count."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def run_load(
    url: str,
    body: Callable[[int], dict[str, Any]],
    headers: dict[str, str],
    *,
    requests: int,
    concurrency: int,
    max_seconds: float = 60.0,
) -> LoadResult:
    """POST `requests` bodies with `concurrency` workers; stops early after `max_seconds`."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for n in counter:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            async with session.post(url, json=body(n), headers=headers) as response:
                await response.read()
                if response.status >= 300:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return LoadResult(
        requests=len(latencies),
        seconds=seconds,
        p50_ms=statistics.median(ordered) * 1000 if ordered else 0.0,
        p99_ms=p99 * 1000,
        errors=errors,
    )


def combine(rounds: list[LoadResult]) -> LoadResult:
    """Several rounds of one measurement as one: their requests over their time; p50 is the
    median of the rounds' medians and p99 the worst round's."""
    return LoadResult(
        requests=sum(r.requests for r in rounds),
        seconds=sum(r.seconds for r in rounds),
        p50_ms=statistics.median(r.p50_ms for r in rounds) if rounds else 0.0,
        p99_ms=max((r.p99_ms for r in rounds), default=0.0),
        errors=sum(r.errors for r in rounds),
    )
