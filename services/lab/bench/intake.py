"""Intake throughput: accepted sightings per second through the real HTTP door (validation,
authorisation, audit, PostgreSQL transaction with the outbox), beside a trivial aiohttp handler
measured in the same run with the same client and concurrency."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from typing import Any

import asyncpg

from services.common.auth import AuthSettings, issue_token
from services.common.topics import ensure_topics, load_topic_specs
from services.devstack.stack import Stack
from services.lab.bench.load import LoadResult, run_load

CONCURRENCY = 16
REQUESTS = 3000
WARMUP = 200
PREFIX = "bench."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


async def _measure(port: int, token: str) -> LoadResult:
    url = f"http://127.0.0.1:{port}/v1/sightings"
    headers = {"Authorization": f"Bearer {token}"}
    await run_load(url, sighting, headers, requests=WARMUP, concurrency=CONCURRENCY)
    return await run_load(url, sighting, headers, requests=REQUESTS, concurrency=CONCURRENCY)


def report() -> str:
    stack = Stack.from_env()
    stack.start_infra()
    database_url = asyncio.run(_fresh_database(stack))
    asyncio.run(ensure_topics(stack.bootstrap, load_topic_specs(), prefix=PREFIX))
    kid, key = AuthSettings.from_env().signing_key()
    token = issue_token(
        key, kid, org=f"bench-ngo-{uuid.uuid4().hex[:6]}", org_kind="ngo", country="FRA"
    )
    intake_port, trivial_port = _free_port(), _free_port()
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
        reference = asyncio.run(_measure(trivial_port, token))
        measured = asyncio.run(_measure(intake_port, token))
    finally:
        for proc in (intake, trivial):
            proc.terminate()
            proc.wait(30)
    lines = [
        f"POST /v1/sightings, {CONCURRENCY} concurrent clients, {REQUESTS} requests after "
        f"{WARMUP} warm-up, loopback",
        f"{'server':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for name, r in (
        ("intake (validate+auth+audit+outbox)", measured),
        ("trivial aiohttp handler (reference)", reference),
    ):
        lines.append(
            f"{name:<34} {r.per_second:8.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.errors:7d}"
        )
    lines.append(
        f"intake throughput = {measured.per_second / reference.per_second:.2f}x the trivial "
        f"handler; p50 latency {measured.p50_ms / reference.p50_ms:.1f}x, "
        f"p99 {measured.p99_ms / reference.p99_ms:.1f}x"
    )
    return "\n".join(lines)
