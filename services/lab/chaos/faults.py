"""The faults of a run: a schedule drawn from a seeded generator, and the injector that plays
it while the load runs.

Moments are points of the stream (the share of requests sent), not clock times, so that a
slow machine gets the same experiment as a fast one. Outages of shared parts (brokers,
database) never overlap, so each is a clean experiment; process kills land whenever the
generator says, outages included.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from services.lab.chaos.infra import ChaosInfra
from services.lab.chaos.procs import Services
from services.lab.chaos.receivers import SseClient, WebhookReceiver


@dataclass
class Progress:
    """How far the client got; faults wait for their point of the stream."""

    total: int
    done: int = 0
    _moved: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def advance(self) -> None:
        async with self._moved:
            self.done += 1
            self._moved.notify_all()

    async def reached(self, share: float) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: self.done >= share * self.total)


@dataclass(frozen=True)
class Fault:
    at: float  # share of the stream sent when the fault starts
    kind: str  # see FAULT_KINDS
    target: str = ""
    hold: float = 0.0  # seconds the part stays down / the window lasts
    until: float | None = None  # or: the share of the stream after which it comes back


@dataclass(frozen=True)
class FaultPlan:
    """How many faults of each kind a run gets."""

    service_kills: int = 2  # per service instance (but the spared ones)
    spared: tuple[str, ...] = ()  # instances never killed (a correlator start costs minutes)
    broker_outages: int = 1  # every broker down, then back
    single_broker_kills: int = 1  # one node of a cluster (needs 3 nodes), back much later
    postgres_restarts: int = 1
    webhook_windows: int = 1  # one slow, one failing window each
    sse_drops: int = 3


FAULT_KINDS = ("kill", "brokers", "broker", "postgres", "slow-webhook", "failing-webhook",
               "sse-drop")  # fmt: skip


def schedule(plan: FaultPlan, seed: int, brokers: int, services: list[str]) -> list[Fault]:
    """Faults at random points of the stream (5 %-85 %), reproducible by seed."""
    rng = random.Random(seed)

    def when() -> float:
        return round(rng.uniform(0.05, 0.85), 3)

    faults = [Fault(when(), "kill", name, round(rng.uniform(0.2, 3.0), 2))
              for name in services if name not in plan.spared
              for _ in range(plan.service_kills)]  # fmt: skip
    faults += [Fault(when(), "brokers", "all", round(rng.uniform(3, 8), 1))
               for _ in range(plan.broker_outages)]  # fmt: skip
    if brokers >= 3:
        for _ in range(plan.single_broker_kills):
            at = round(rng.uniform(0.05, 0.5), 3)
            faults.append(Fault(at, "broker", str(rng.randrange(brokers)), 120.0, at + 0.35))
    faults += [Fault(when(), "postgres", "", round(rng.uniform(2, 6), 1))
               for _ in range(plan.postgres_restarts)]  # fmt: skip
    for _ in range(plan.webhook_windows):
        faults.append(Fault(when(), "slow-webhook", "0", 20.0))
        faults.append(Fault(when(), "failing-webhook", "1", 15.0))
    faults += [Fault(when(), "sse-drop", str(n % 2)) for n in range(plan.sse_drops)]
    return sorted(faults, key=lambda f: f.at)


@dataclass
class Injector:
    infra: ChaosInfra
    services: Services
    receivers: list[WebhookReceiver]
    sse: list[SseClient]
    progress: Progress
    injected: Counter[str] = field(default_factory=Counter)
    events: list[str] = field(default_factory=list)
    _outage: asyncio.Lock = field(default_factory=asyncio.Lock)
    _started: float = field(default_factory=time.monotonic)

    async def play(self, faults: list[Fault]) -> None:
        self._started = time.monotonic()
        await asyncio.gather(*(self._at(fault) for fault in faults))

    def _note(self, text: str) -> None:
        self.events.append(f"{time.monotonic() - self._started:7.1f}s "
                           f"{self.progress.done:>5}/{self.progress.total} {text}")  # fmt: skip

    async def _at(self, fault: Fault) -> None:
        await self.progress.reached(fault.at)
        self._note(f"{fault.kind} {fault.target}".strip())
        await getattr(self, "_" + fault.kind.replace("-", "_"))(fault)
        self.injected[fault.kind] += 1

    async def _back_after(self, fault: Fault) -> None:
        """Wait until the fault's point of return (or its hold), whichever comes first."""
        if fault.until is None:
            await asyncio.sleep(fault.hold)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.progress.reached(fault.until), fault.hold)

    async def _kill(self, fault: Fault) -> None:
        self.services.kill(fault.target)
        # A killed correlator of two stays away long enough for its group to rebalance.
        await asyncio.sleep(fault.hold * 4 if fault.target == "correlator-2" else fault.hold)
        self.services.start(fault.target)
        self._note(f"restarted {fault.target}")

    async def _brokers(self, fault: Fault) -> None:
        async with self._outage:
            for index in range(self.infra.kafka.size):
                self.infra.kill_broker(index)
            await asyncio.sleep(fault.hold)
            await asyncio.gather(*(self.infra.start_broker(i)
                                   for i in range(self.infra.kafka.size)))  # fmt: skip
            self._note("brokers back")

    async def _broker(self, fault: Fault) -> None:
        async with self._outage:
            self.infra.kill_broker(int(fault.target))
            await self._back_after(fault)
            await self.infra.start_broker(int(fault.target))
            self._note(f"broker {fault.target} back")

    async def _postgres(self, fault: Fault) -> None:
        async with self._outage:
            await self.infra.stop_postgres()
            await asyncio.sleep(fault.hold)
            await self.infra.start_postgres()
            self._note("postgres back")

    async def _slow_webhook(self, fault: Fault) -> None:
        self.receivers[int(fault.target)].slow_until = time.monotonic() + fault.hold

    async def _failing_webhook(self, fault: Fault) -> None:
        self.receivers[int(fault.target)].failing_until = time.monotonic() + fault.hold

    async def _sse_drop(self, fault: Fault) -> None:
        self.sse[int(fault.target) % len(self.sse)].drop()
