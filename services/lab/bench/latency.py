"""End-to-end latency: from intake's POST of a sighting to the SSE notification reaching a
subscribed investigator, through Kafka, the correlator and the notifier (real processes on the
local stack), at a steady request rate; beside the raw produce->consume latency of one message
through the same broker (acks=all, same client library), measured in the same run.
`measure()` returns the figures (with the samples), `render()` writes them as Markdown.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from services.common.auth import AuthSettings, issue_token
from services.common.progress import SILENT, Tracker
from services.common.topics import ensure_topics, load_topic_specs
from services.devstack.stack import Stack
from services.lab.bench.intake import _free_ports, _fresh_database, _wait_ready
from services.lab.bench.latency_kafka import RAW_MESSAGES, RAW_TOPIC, Latencies, raw_kafka
from services.lab.bench.latency_kafka import hops as hop_latencies

RATE_PER_SECOND = 4.0
SIGHTINGS = 80
WARMUP = 5
CHILD = {
    "given_names": "Samir",
    "family_name": "Haidari",
    "father_name": "Abdul Karim",
    "sex": "male",
    "date_of_birth": "2012-03-05",
    "date_of_birth_kind": "exact",
    "nationalities": ["AFG"],
    "languages": ["prs"],
}


def _token(org: str, kind: str, country: str) -> str:
    kid, key = AuthSettings.from_env().signing_key()
    return issue_token(key, kid, org=org, org_kind=kind, country=country, subject=f"{org}/bench")


def _sighting(at: datetime) -> dict[str, Any]:
    return {
        "observed_at": at.isoformat(),
        "location": {"lat": 43.70, "lon": 7.27, "place": "Nice station", "country": "FRA"},
        "child": CHILD,
    }


def _alert(at: datetime) -> dict[str, Any]:
    child = {**CHILD, "other_names": [], "age_range": {"min": 12, "max": 14}}
    return {
        "category": "missing_protected",
        "child": child,
        "last_seen": {
            "at": at.isoformat(),
            "location": {"lat": 43.79, "lon": 7.61, "place": "Ventimiglia", "country": "ITA"},
        },
    }


async def _sse(url: str, token: str, arrived: dict[str, float], ready: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.get(f"{url}/v1/notifications/stream", headers=headers) as response,
    ):
        ready.set()
        async for raw in response.content:
            line = raw.decode().strip()
            if line.startswith("data: "):
                data = json.loads(line[6:])
                arrived.setdefault(data["observation"]["id"], time.time())


async def _end_to_end(
    intake_url: str, notifier_url: str
) -> tuple[Latencies, int, dict[str, float], dict[str, float]]:
    police = _token(f"bench-police-{uuid.uuid4().hex[:6]}", "police", "ITA")
    investigator = _token(f"bench-investigators-{uuid.uuid4().hex[:6]}", "investigator", "NLD")
    reporter = _token("bench-hotline", "hotline", "FRA")
    now = datetime.now(UTC)
    arrived: dict[str, float] = {}
    async with aiohttp.ClientSession() as http:
        subscription = {"name": "bench", "filters": {"observation_types": ["sighting"]}}
        async with http.post(f"{notifier_url}/v1/subscriptions", json=subscription,
                             headers={"Authorization": f"Bearer {investigator}"}) as r:  # fmt: skip
            assert r.status == 201, await r.text()
        async with http.post(f"{intake_url}/v1/alerts", json=_alert(now - timedelta(days=3)),
                             headers={"Authorization": f"Bearer {police}"}) as r:  # fmt: skip
            assert r.status == 201, await r.text()
        ready = asyncio.Event()
        listener = asyncio.create_task(_sse(notifier_url, investigator, arrived, ready))
        await ready.wait()
        await asyncio.sleep(3.0)  # let the correlator index the alert
        headers = {"Authorization": f"Bearer {reporter}"}
        # Warm-up, not measured: the first matches load the name tables of every service.
        warmup = await _post_sightings(http, intake_url, headers, now, WARMUP, 1.0)
        await _wait_for(warmup, arrived, seconds=120)
        sent = await _post_sightings(http, intake_url, headers, now, SIGHTINGS, RATE_PER_SECOND)
        await _wait_for(sent, arrived, seconds=60)
        listener.cancel()
    samples = [arrived[k] - sent[k] for k in sent if k in arrived]
    return Latencies(samples), len(sent) - len(samples), sent, arrived


async def _post_sightings(
    http: aiohttp.ClientSession,
    intake_url: str,
    headers: dict[str, str],
    now: datetime,
    count: int,
    rate: float,
) -> dict[str, float]:
    """POST `count` sightings at `rate` per second; sighting id -> when its POST started."""
    sent: dict[str, float] = {}
    for n in range(count):
        started = time.time()
        body = _sighting(now - timedelta(days=2) + timedelta(seconds=len(sent) + n * 7))
        async with http.post(f"{intake_url}/v1/sightings", json=body, headers=headers) as r:
            sent[(await r.json())["sighting_id"]] = started
        await asyncio.sleep(max(0.0, 1.0 / rate - (time.time() - started)))
    return sent


async def _wait_for(sent: dict[str, float], arrived: dict[str, float], seconds: float) -> None:
    for _ in range(int(seconds * 5)):
        if set(sent) <= set(arrived):
            return
        await asyncio.sleep(0.2)


def steps() -> int:
    return 3


def measure(*, tracker: Tracker = SILENT) -> dict[str, Any]:
    """End-to-end and per-hop latencies beside the raw Kafka reference (JSON-ready figures,
    with every sample in milliseconds for the distribution chart)."""
    tracker.describe("latency: starting intake, correlator and notifier")
    stack = Stack.from_env()
    stack.start_infra()
    database_url = asyncio.run(_fresh_database(stack))
    prefix = f"benchlat{uuid.uuid4().hex[:6]}."
    specs = [*load_topic_specs(), RAW_TOPIC]
    asyncio.run(ensure_topics(stack.bootstrap, specs, prefix=prefix))
    names = ("intake", "correlator", "notifier")
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    env = {
        **os.environ,
        "KINLINK_KAFKA_BOOTSTRAP": stack.bootstrap,
        "KINLINK_DATABASE_URL": database_url,
        "KINLINK_TOPIC_PREFIX": prefix,
        "KINLINK_INTAKE_PORT": str(ports["intake"]),
        "KINLINK_CORRELATOR_PORT": str(ports["correlator"]),
        "KINLINK_NOTIFIER_PORT": str(ports["notifier"]),
        "KINLINK_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
        "KINLINK_CORRELATOR_GROUP": f"{prefix}correlator",
        "KINLINK_NOTIFIER_GROUP": f"{prefix}notifier",
        "KINLINK_LOG_LEVEL": "WARNING",
        # the bench measures throughput, not the rate limits (which would cap it)
        "KINLINK_RATE_LIMIT_SUBJECT_RPS": "0",
        "KINLINK_RATE_LIMIT_ADDRESS_RPS": "0",
    }
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for name in ports
    }
    try:
        for name, port in ports.items():
            _wait_ready(port, procs[name], timeout=120)
        tracker.advance()
        tracker.describe("latency: raw Kafka produce -> consume")
        raw = asyncio.run(raw_kafka(stack.bootstrap, f"{prefix}{RAW_TOPIC.name}"))
        tracker.advance()
        tracker.describe("latency: intake POST -> SSE notification")
        url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        e2e, missing, sent, arrived = asyncio.run(_end_to_end(url["intake"], url["notifier"]))
        per_hop = asyncio.run(hop_latencies(stack.bootstrap, prefix, sent, arrived))
        tracker.advance()
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(30)
    return {
        "sightings": SIGHTINGS,
        "rate_per_second": RATE_PER_SECOND,
        "raw_messages": RAW_MESSAGES,
        "end_to_end": _summary(e2e, with_samples=True),
        "hops": {name: _summary(hop) for name, hop in per_hop.items()},
        "raw_kafka": _summary(raw, with_samples=True),
        "missing": missing,
        "p50_ratio": _ratio(e2e.p50_ms, raw.p50_ms),
        "p99_ratio": _ratio(e2e.p99_ms, raw.p99_ms),
    }


def _ratio(measured: float, reference: float) -> float | None:
    return round(measured / reference, 1) if reference and reference == reference else None


def _summary(latencies: Latencies, *, with_samples: bool = False) -> dict[str, Any]:
    """p50/p99 in milliseconds (None when there were no samples), and the samples if asked."""

    def ms(value: float) -> float | None:
        return None if value != value else round(value, 1)  # NaN: no samples

    summary: dict[str, Any] = {"p50_ms": ms(latencies.p50_ms), "p99_ms": ms(latencies.p99_ms)}
    if with_samples:
        summary["samples_ms"] = [round(s * 1000, 2) for s in latencies.samples]
    return summary


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render(figures: dict[str, Any]) -> str:
    """Markdown: end to end, its hops, and the raw Kafka reference, p50 and p99."""
    e2e, raw = figures["end_to_end"], figures["raw_kafka"]
    lines = [
        f"{figures['sightings']} sightings at {figures['rate_per_second']:g}/s, each matching "
        f"one alert; {figures['raw_messages']} raw messages one at a time.",
        "",
        "| path | p50 ms | p99 ms |",
        "|---|---:|---:|",
        f"| intake POST -> SSE notification (end to end) | {_ms(e2e['p50_ms'])} | "
        f"{_ms(e2e['p99_ms'])} |",
        *(f"| &nbsp;&nbsp;{name} | {_ms(hop['p50_ms'])} | {_ms(hop['p99_ms'])} |"
          for name, hop in figures["hops"].items()),
        f"| raw Kafka produce -> consume (reference) | {_ms(raw['p50_ms'])} | "
        f"{_ms(raw['p99_ms'])} |",
        "",
        f"End-to-end p99 = {_ratio_text(figures['p99_ratio'])} the raw Kafka p99 "
        f"(target <= 10x); p50 {_ratio_text(figures['p50_ratio'])}; notifications missing: "
        f"{figures['missing']}.",
    ]
    return "\n".join(lines) + "\n"


def _ratio_text(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.1f}x"
