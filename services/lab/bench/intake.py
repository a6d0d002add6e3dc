"""Intake throughput: accepted sightings per second through the real HTTP door (validation,
authorisation, audit, PostgreSQL transaction with the outbox), against two references measured
in the same run with the same concurrency: the same rows committed by plain asyncpg transactions
against the same database (the durable-write limit intake cannot beat), and a trivial aiohttp
handler with the same client (the HTTP framework's own cost).

`measure()` returns the figures (`IntakeFigures.as_dict()` for machine-readable results);
`report()` prints them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.common.auth import AuthSettings, issue_token
from services.common.topics import ensure_topics, load_topic_specs
from services.devstack.stack import Stack
from services.lab.bench.durable_writes import prepare, run_durable_writes
from services.lab.bench.load import LoadResult, combine, run_load

CONCURRENCY = 16
REQUESTS = 3000
WARMUP = 200
# The three are measured in turns, a third of the requests each turn, so that a change in the
# machine's load (other jobs) weighs on all three alike.
ROUNDS = 3
PREFIX = "bench."
# Where the bench's own servers may listen ("25100-25199"); unset: any free port.
PORT_RANGE_ENV = "KINLINK_BENCH_PORTS"


@dataclass(frozen=True)
class IntakeFigures:
    """One run's figures: intake and its two same-run references."""

    concurrency: int
    requests: int
    warmup: int
    intake: LoadResult
    durable_writes: LoadResult
    trivial: LoadResult

    @property
    def ratio_to_durable_writes(self) -> float:
        return _ratio(self.intake.per_second, self.durable_writes.per_second)

    @property
    def ratio_to_trivial(self) -> float:
        return _ratio(self.intake.per_second, self.trivial.per_second)

    def as_dict(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "warmup": self.warmup,
            "intake": _load_dict(self.intake),
            "durable_writes": _load_dict(self.durable_writes),
            "trivial": _load_dict(self.trivial),
            "ratio_to_durable_writes": round(self.ratio_to_durable_writes, 3),
            "ratio_to_trivial": round(self.ratio_to_trivial, 3),
        }


def _ratio(value: float, reference: float) -> float:
    return value / reference if reference else 0.0


def _load_dict(result: LoadResult) -> dict[str, Any]:
    return {
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "per_second": round(result.per_second, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "errors": result.errors,
    }


def _free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports, from KINLINK_BENCH_PORTS if it is set."""
    span = os.environ.get(PORT_RANGE_ENV, "").strip()
    first, _, last = span.partition("-")
    candidates = range(int(first), int(last or first) + 1) if first else [0] * count
    held: list[socket.socket] = []
    try:
        for port in candidates:
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
            if len(held) == count:
                return [int(s.getsockname()[1]) for s in held]
    finally:
        for sock in held:
            sock.close()
    raise RuntimeError(f"not {count} free ports in {PORT_RANGE_ENV}={span}")


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on {port} not ready")


def sighting(n: int) -> dict[str, Any]:
    return {
        "observed_at": "2025-04-21T07:45:00Z",
        "location": {"lat": 48.88, "lon": 2.36, "place": "Paris Gare du Nord", "country": "FRA"},
        "child": {"given_names": "Samir", "sex": "male", "age_range": {"min": 12, "max": 15}},
        "confidence": "medium" if n % 2 else "high",
    }


async def _fresh_database(stack: Stack) -> str:
    admin_url = stack.database_url.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute('DROP DATABASE IF EXISTS "kinlink_bench" WITH (FORCE)')
        await conn.execute('CREATE DATABASE "kinlink_bench"')
    finally:
        await conn.close()
    return stack.database_url.rsplit("/", 1)[0] + "/kinlink_bench"


async def _http_round(port: int, token: str, requests: int) -> LoadResult:
    url = f"http://127.0.0.1:{port}/v1/sightings"
    headers = {"Authorization": f"Bearer {token}"}
    return await run_load(url, sighting, headers, requests=requests, concurrency=CONCURRENCY)


async def _durable_round(database_url: str, requests: int) -> LoadResult:
    return await run_durable_writes(
        database_url, sighting, requests=requests, concurrency=CONCURRENCY
    )


def _measure_in_turns(
    intake_port: int, trivial_port: int, token: str, database_url: str
) -> tuple[LoadResult, LoadResult, LoadResult]:
    """(intake, durable writes, trivial), each warmed up, then measured in ROUNDS turns."""
    asyncio.run(prepare(database_url))
    asyncio.run(_durable_round(database_url, WARMUP))
    asyncio.run(_http_round(trivial_port, token, WARMUP))
    asyncio.run(_http_round(intake_port, token, WARMUP))
    rounds: dict[str, list[LoadResult]] = {"intake": [], "durable": [], "trivial": []}
    share = REQUESTS // ROUNDS
    for _ in range(ROUNDS):
        rounds["trivial"].append(asyncio.run(_http_round(trivial_port, token, share)))
        rounds["durable"].append(asyncio.run(_durable_round(database_url, share)))
        rounds["intake"].append(asyncio.run(_http_round(intake_port, token, share)))
    return combine(rounds["intake"]), combine(rounds["durable"]), combine(rounds["trivial"])


def measure() -> IntakeFigures:
    """Start the infrastructure if needed, intake and the trivial server, and measure all three."""
    stack = Stack.from_env()
    stack.start_infra()
    database_url = asyncio.run(_fresh_database(stack))
    asyncio.run(ensure_topics(stack.bootstrap, load_topic_specs(), prefix=PREFIX))
    kid, key = AuthSettings.from_env().signing_key()
    token = issue_token(
        key, kid, org=f"bench-ngo-{uuid.uuid4().hex[:6]}", org_kind="ngo", country="FRA"
    )
    intake_port, trivial_port = _free_ports(2)
    env = {
        **os.environ,
        "KINLINK_KAFKA_BOOTSTRAP": stack.bootstrap,
        "KINLINK_DATABASE_URL": database_url,
        "KINLINK_TOPIC_PREFIX": PREFIX,
        "KINLINK_INTAKE_PORT": str(intake_port),
        "KINLINK_LOG_LEVEL": "WARNING",
        # the bench measures throughput, not the rate limits (which would cap it)
        "KINLINK_RATE_LIMIT_SUBJECT_RPS": "0",
        "KINLINK_RATE_LIMIT_ADDRESS_RPS": "0",
    }
    devnull = subprocess.DEVNULL
    intake = subprocess.Popen(
        [sys.executable, "-m", "services.intake"], env=env, stdout=devnull, stderr=devnull
    )
    trivial = subprocess.Popen(
        [sys.executable, "-m", "services.lab.bench.trivial_server", str(trivial_port)],
        stdout=devnull,
        stderr=devnull,
    )
    try:
        _wait_ready(intake_port, intake)
        _wait_ready(trivial_port, trivial)
        intake_result, durable_result, trivial_result = _measure_in_turns(
            intake_port, trivial_port, token, database_url
        )
    finally:
        for proc in (intake, trivial):
            proc.terminate()
            proc.wait(30)
    return IntakeFigures(
        CONCURRENCY, REQUESTS, WARMUP, intake_result, durable_result, trivial_result
    )


def format_figures(figures: IntakeFigures) -> str:
    f = figures
    lines = [
        f"POST /v1/sightings, {f.concurrency} concurrent clients, {f.requests} requests after "
        f"{f.warmup} warm-up, in {ROUNDS} alternating turns, loopback",
        f"{'server':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for name, r in (
        ("intake (validate+auth+audit+outbox)", f.intake),
        ("raw asyncpg: same rows, same commits", f.durable_writes),
        ("trivial aiohttp handler", f.trivial),
    ):
        lines.append(
            f"{name:<40} {r.per_second:8.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.errors:7d}"
        )
    lines.append(
        f"intake throughput = {f.ratio_to_durable_writes:.2f}x the raw durable-write rate "
        f"(record + audit + outbox in one transaction), {f.ratio_to_trivial:.2f}x the trivial "
        f"handler; p50 latency {_ratio(f.intake.p50_ms, f.trivial.p50_ms):.1f}x, "
        f"p99 {_ratio(f.intake.p99_ms, f.trivial.p99_ms):.1f}x the trivial handler's"
    )
    return "\n".join(lines)


def report() -> str:
    return format_figures(measure())
