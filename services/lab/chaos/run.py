"""One chaos experiment: a scenario through the whole system while faults are injected, on the
harness's own broker cluster and database, checked against the invariants and its matches
against the fault-free reference: computed offline by default (`baseline.py`), or a live run
of the same scenario without faults first (`live_baseline`)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from services.common.catalog import ALERTS, MATCHES, REGISTRATIONS, REVIEWS, SIGHTINGS
from services.common.keys import ensure_dev_keys, load_private_key
from services.lab.chaos import checks
from services.lab.chaos.baseline import offline_baseline
from services.lab.chaos.client import ClientLog, Tokens, post_all
from services.lab.chaos.facts import list_notifications, partitions, read_intake, read_topics
from services.lab.chaos.faults import FaultPlan, Injector, Progress, schedule
from services.lab.chaos.infra import ChaosInfra, World
from services.lab.chaos.procs import Instance, Services, service_env
from services.lab.chaos.receivers import SseClient, WebhookReceiver
from services.lab.chaos.requests import Caller, PlannedRequest, plan_requests
from services.lab.scenario import generate_scenario

_GROUP_INPUTS = {
    "correlator": (ALERTS, REGISTRATIONS, SIGHTINGS, REVIEWS),
    "notifier": (ALERTS, REGISTRATIONS, SIGHTINGS, MATCHES, REVIEWS),
}
SUBSCRIBERS = (Caller("eu-chaos-investigations-a", "investigator", "NLD"),
               Caller("eu-chaos-investigations-b", "investigator", "BEL"))  # fmt: skip


@dataclass(frozen=True)
class ChaosConfig:
    seed: int = 7
    children: int = 40
    brokers: int = 3
    base_port: int = 28100
    rate: float = 5.0  # requests per second
    plan: FaultPlan = field(default_factory=FaultPlan)
    settle_timeout: float = 240.0
    live_baseline: bool = False  # reference: a live fault-free run (slow) instead of offline


@dataclass
class RunResult:
    name: str
    log: ClientLog
    events: checks.EventCheck
    matches: set[checks.Pair]
    notifications: checks.NotificationCheck
    injected: dict[str, int]
    unexpected_exits: list[tuple[str, int]]
    fault_log: list[str]
    seconds: float
    sse_reconnects: int = 0
    sse_errors: list[str] = field(default_factory=list)
    live: bool = True  # False: the offline reference, which has only matches and seconds


def offline_result(matches: set[checks.Pair], seconds: float) -> RunResult:
    """The offline reference, shaped as a run: matches and time; nothing was sent or lost."""
    return RunResult("offline", ClientLog(), checks.EventCheck(), matches,
                     checks.NotificationCheck(), {}, [], [], seconds, live=False)  # fmt: skip


def _instances(infra: ChaosInfra) -> dict[str, Instance]:
    return {
        "intake": Instance("intake", "services.intake", "KINLINK_INTAKE_PORT", infra.port(20)),
        "correlator-1": Instance("correlator-1", "services.correlator",
                                 "KINLINK_CORRELATOR_PORT", infra.port(21)),  # fmt: skip
        "correlator-2": Instance("correlator-2", "services.correlator",
                                 "KINLINK_CORRELATOR_PORT", infra.port(22)),  # fmt: skip
        "notifier": Instance("notifier", "services.notifier", "KINLINK_NOTIFIER_PORT",
                             infra.port(23)),  # fmt: skip
    }


async def run_once(
    infra: ChaosInfra,
    cfg: ChaosConfig,
    planned: list[PlannedRequest],
    name: str,
    *,
    faults: bool,
    baseline: Reference | None,
) -> RunResult:
    started = time.monotonic()
    world = await infra.world(name)
    key_path = ensure_dev_keys(infra.home)
    kid, key = load_private_key(key_path)
    tokens = Tokens(key, kid)
    instances = _instances(infra)
    intake_url = f"http://127.0.0.1:{instances['intake'].port}"
    notifier_url = f"http://127.0.0.1:{instances['notifier'].port}"
    env = service_env(world.bootstrap, world.database_url, world.topic_prefix,
                      key_path.parent, intake_url)  # fmt: skip
    services = Services(instances, env, infra.home / "logs" / name)
    rng = random.Random(cfg.seed)
    receivers = [WebhookReceiver(infra.port(30 + n), rng) for n in range(len(SUBSCRIBERS))]
    for receiver in receivers:
        await receiver.start()
    await services.start_all()
    supervisor = asyncio.create_task(services.supervise())
    sse = [SseClient(notifier_url, tokens(s)) for s in SUBSCRIBERS]
    followers = [asyncio.create_task(client.run()) for client in sse]
    try:
        subscriptions = [await _subscribe(notifier_url, tokens(s), r.url)
                         for s, r in zip(SUBSCRIBERS, receivers, strict=True)]  # fmt: skip
        progress = Progress(len(planned))
        injector = Injector(infra, services, receivers, sse, progress)
        player = None
        if faults:
            plan = schedule(cfg.plan, cfg.seed, infra.kafka.size, list(instances))
            player = asyncio.create_task(injector.play(plan))
        log = await post_all(intake_url, planned, tokens, run_id=f"{name}-{cfg.seed}",
                             rate=cfg.rate, progress=progress)  # fmt: skip
        if player is not None:
            await player
        for sub, caller in zip(subscriptions, SUBSCRIBERS, strict=True):
            await _enable_webhook(notifier_url, tokens(caller), sub)  # as its owner would
        result = await _settle(world, cfg, services, log, sse, receivers, subscriptions,
                               tokens, notifier_url, baseline)  # fmt: skip
        events, matches, notes = result
    finally:
        for client in sse:
            client.stop()
        for task in followers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        supervisor.cancel()
        services.stop_all(grace=5.0)  # what counts is read: no need to wait for drains
        for receiver in receivers:
            await receiver.stop()
    return RunResult(name, log, events, matches, notes, dict(injector.injected),
                     services.unexpected_exits, injector.events, time.monotonic() - started,
                     sum(client.reconnects for client in sse),
                     [e for client in sse for e in client.errors])  # fmt: skip


async def _subscribe(notifier_url: str, token: str, hook_url: str) -> str:
    body = {"name": "chaos: every proposed match", "webhook": {"url": hook_url}}
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.post(
        f"{notifier_url}/v1/subscriptions", json=body, headers=headers
    ) as response:
        created: dict[str, Any] = await response.json()
        if response.status != 201:
            raise RuntimeError(f"subscription refused: {response.status} {created}")
    return str(created["id"])


async def _enable_webhook(notifier_url: str, token: str, subscription_id: str) -> None:
    url = f"{notifier_url}/v1/subscriptions/{subscription_id}/webhook/enable"
    for _ in range(60):
        with contextlib.suppress(aiohttp.ClientError, OSError):
            async with aiohttp.ClientSession() as http, http.post(
                url, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                if response.status < 500:
                    return
        await asyncio.sleep(1.0)


# The reference matches, or the computation that will give them (awaited once, to settle).
Reference = set[checks.Pair] | Awaitable[set[checks.Pair]]
Checked = tuple[checks.EventCheck, set[checks.Pair], checks.NotificationCheck]


async def _settle(world: World, cfg: ChaosConfig, services: Services, log: ClientLog,
                  sse: list[SseClient], receivers: list[WebhookReceiver],
                  subscriptions: list[str], tokens: Tokens, notifier_url: str,
                  baseline: Reference | None) -> Checked:  # fmt: skip
    """Wait until the system is quiet (consumers caught up, outboxes and webhook deliveries
    empty) and the checks hold, or the timeout passes; return the last checks."""
    for name in services.instances:
        await services.wait_ready(name)
    expected = await baseline if inspect.isawaitable(baseline) else baseline
    scenario_ids = {v: k for k, v in log.intake_ids.items()}
    deadline = time.monotonic() + cfg.settle_timeout
    while True:
        quiet = await _quiet(world)
        facts = await read_topics(world)
        events = checks.check_events(log, facts, await read_intake(world))
        matches = checks.final_matches(facts, scenario_ids)
        standing = checks.standing_match_ids(facts)
        subscribers = [
            checks.Subscriber(await list_notifications(notifier_url, tokens(caller)),
                              client.items, {sub: receiver.deliveries})  # fmt: skip
            for caller, client, sub, receiver in zip(SUBSCRIBERS, sse, subscriptions,
                                                     receivers, strict=True)  # fmt: skip
        ]
        notes = checks.check_notifications(subscribers, standing)
        same = expected is None or matches == expected
        if quiet and same and events.lost == 0 and notes.lost == 0:
            return events, matches, notes
        if time.monotonic() > deadline:
            return events, matches, notes
        await asyncio.sleep(1.0)


async def _quiet(world: World) -> bool:
    """Nothing in flight: outboxes sent, webhook deliveries done, both groups caught up."""
    conn = await asyncpg.connect(world.database_url)
    try:
        for schema in ("intake", "correlator", "notifier"):
            if await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL"):
                return False
        if await conn.fetchval(
            "SELECT count(*) FROM notifier.webhook_deliveries WHERE status = 'pending'"
        ):
            return False
    finally:
        await conn.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=world.bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=world.bootstrap)
    await admin.start()
    await consumer.start()
    try:
        for group, inputs in _GROUP_INPUTS.items():
            committed = await admin.list_consumer_group_offsets(f"{world.topic_prefix}{group}")
            tps = await partitions(world.bootstrap, [f"{world.topic_prefix}{t}" for t in inputs])
            ends = await consumer.end_offsets(tps)
            if any((committed[tp].offset if tp in committed else 0) < ends[tp] for tp in tps):
                return False
    finally:
        await consumer.stop()
        await admin.close()
    return True


async def experiment(cfg: ChaosConfig) -> tuple[RunResult, RunResult]:
    """Start the infrastructure, run the scenario with faults and check it against the
    fault-free reference; stop everything. The offline reference is computed in a process of
    its own while the infrastructure and the services start, and awaited only to settle."""
    scenario = generate_scenario(seed=cfg.seed, children=cfg.children)
    planned = plan_requests(scenario.events)
    infra = ChaosInfra(cfg.base_port, cfg.brokers)
    offline: asyncio.Task[tuple[set[checks.Pair], float]] | None = None
    if not cfg.live_baseline:
        offline = asyncio.create_task(offline_baseline(cfg.seed, cfg.children))
    try:
        await asyncio.to_thread(infra.start)
        if offline is None:
            calm = await run_once(infra, cfg, planned, "calm", faults=False, baseline=None)
            reference: Reference = calm.matches
        else:
            reference = _matches_of(offline)
        chaos = await run_once(infra, cfg, planned, "chaos", faults=True, baseline=reference)
        if offline is not None:
            calm = offline_result(*await offline)
    finally:
        if offline is not None and not offline.done():
            offline.cancel()
        await asyncio.to_thread(infra.stop)
    return calm, chaos


async def _matches_of(offline: asyncio.Task[tuple[set[checks.Pair], float]]) -> set[checks.Pair]:
    matches, _ = await asyncio.shield(offline)
    return matches
