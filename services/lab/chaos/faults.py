"""The faults of a run: a schedule drawn from a seeded generator, and the injector that plays
it while the load runs. Outages of shared parts (brokers, database) never overlap, so each is
a clean experiment; process kills land whenever the generator says, outages included."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from services.lab.chaos.infra import ChaosInfra
from services.lab.chaos.procs import Services
from services.lab.chaos.receivers import SseClient, WebhookReceiver


@dataclass(frozen=True)
class Fault:
    at: float  # seconds after the load started
    kind: str  # see FAULT_KINDS
    target: str = ""
    hold: float = 0.0  # how long the part stays down / the window lasts


@dataclass(frozen=True)
class FaultPlan:
    """How many faults of each kind a run gets."""

    service_kills: int = 2  # per service instance
    broker_outages: int = 1  # the whole cluster down, then back
    single_broker_kills: int = 1  # one node of a cluster (needs 3 nodes)
    postgres_restarts: int = 1
    webhook_windows: int = 1  # one slow, one failing window each
    sse_drops: int = 3


FAULT_KINDS = ("kill", "brokers", "broker", "postgres", "slow-webhook", "failing-webhook",
               "sse-drop")  # fmt: skip


def schedule(plan: FaultPlan, duration: float, seed: int, brokers: int,
             services: list[str]) -> list[Fault]:  # fmt: skip
    """Faults at random moments of the load (5 %-85 % of `duration`), reproducible by seed."""
    rng = random.Random(seed)

    def when() -> float:
        return round(rng.uniform(0.05, 0.85) * duration, 2)

    faults = [Fault(when(), "kill", name, round(rng.uniform(0.2, 3.0), 2))
              for name in services for _ in range(plan.service_kills)]  # fmt: skip
    faults += [Fault(when(), "brokers", "all", round(rng.uniform(3, 8), 1))
               for _ in range(plan.broker_outages)]  # fmt: skip
    if brokers >= 3:
        faults += [Fault(when(), "broker", str(rng.randrange(brokers)), round(duration * 0.3, 1))
                   for _ in range(plan.single_broker_kills)]  # fmt: skip
    faults += [Fault(when(), "postgres", "", round(rng.uniform(2, 6), 1))
               for _ in range(plan.postgres_restarts)]  # fmt: skip
    for _ in range(plan.webhook_windows):
        faults.append(Fault(when(), "slow-webhook", "0", round(duration * 0.2, 1)))
        faults.append(Fault(when(), "failing-webhook", "1", round(duration * 0.2, 1)))
    faults += [Fault(when(), "sse-drop", str(n % 2)) for n in range(plan.sse_drops)]
    return sorted(faults, key=lambda f: f.at)


@dataclass
class Injector:
    infra: ChaosInfra
    services: Services
    receivers: list[WebhookReceiver]
    sse: list[SseClient]
    injected: Counter[str] = field(default_factory=Counter)
    events: list[str] = field(default_factory=list)
    _outage: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def play(self, faults: list[Fault]) -> None:
        started = time.monotonic()
        await asyncio.gather(*(self._at(started, fault) for fault in faults))

    async def _at(self, started: float, fault: Fault) -> None:
        await asyncio.sleep(max(0.0, started + fault.at - time.monotonic()))
        self.events.append(f"{time.monotonic() - started:7.1f}s {fault.kind} {fault.target}")
        await getattr(self, "_" + fault.kind.replace("-", "_"))(fault)
        self.injected[fault.kind] += 1

    async def _kill(self, fault: Fault) -> None:
        self.services.kill(fault.target)
        # A killed correlator of two stays away long enough for its group to rebalance.
        hold = fault.hold * 4 if fault.target == "correlator-2" else fault.hold
        await asyncio.sleep(hold)
        self.services.start(fault.target)

    async def _brokers(self, fault: Fault) -> None:
        async with self._outage:
            for index in range(self.infra.kafka.size):
                self.infra.kill_broker(index)
            await asyncio.sleep(fault.hold)
            await asyncio.gather(*(self.infra.start_broker(i)
                                   for i in range(self.infra.kafka.size)))  # fmt: skip

    async def _broker(self, fault: Fault) -> None:
        async with self._outage:
            self.infra.kill_broker(int(fault.target))
            await asyncio.sleep(fault.hold)
            await self.infra.start_broker(int(fault.target))

    async def _postgres(self, fault: Fault) -> None:
        async with self._outage:
            await self.infra.stop_postgres()
            await asyncio.sleep(fault.hold)
            await self.infra.start_postgres()

    async def _slow_webhook(self, fault: Fault) -> None:
        self.receivers[int(fault.target)].slow_until = time.monotonic() + fault.hold

    async def _failing_webhook(self, fault: Fault) -> None:
        self.receivers[int(fault.target)].failing_until = time.monotonic() + fault.hold

    async def _sse_drop(self, fault: Fault) -> None:
        self.sse[int(fault.target) % len(self.sse)].drop()
