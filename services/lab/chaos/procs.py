"""The Kinlink services as real processes for one run: started, SIGKILLed, restarted.

A process that exits without being killed by the harness is restarted too (as an orchestrator
would) and counted: the report shows it, because a service should survive a broker or database
outage without crashing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instance:
    name: str  # intake, correlator-1, correlator-2, notifier
    module: str
    port_env: str
    port: int


@dataclass
class Services:
    instances: dict[str, Instance]
    env: dict[str, str]
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    killed: set[str] = field(default_factory=set)
    unexpected_exits: list[tuple[str, int]] = field(default_factory=list)
    _stopping: bool = False

    def start(self, name: str) -> None:
        """Start the instance unless it runs (two overlapping kills restart it once)."""
        self.killed.discard(name)
        running = self.procs.get(name)
        if running is not None and running.poll() is None:
            return
        instance = self.instances[name]
        env = {**self.env, instance.port_env: str(instance.port)}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", instance.module],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip

    async def wait_ready(self, name: str, timeout: float = 600.0) -> None:
        # A correlator's start builds its name tagger: seconds alone, minutes on a 2-core
        # machine shared with other jobs (a CI run timed out at 180 s while nothing was wrong).
        url = f"http://127.0.0.1:{self.instances[name].port}/readyz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(_ready, url):
                return
            await asyncio.sleep(0.3)
        raise RuntimeError(f"{name} not ready after {timeout:.0f}s; see {self.log_dir}")

    async def start_all(self) -> None:
        for name in self.instances:
            self.start(name)
        for name in self.instances:
            await self.wait_ready(name)

    def kill(self, name: str) -> None:
        """SIGKILL: no drain, no commit, no goodbye."""
        proc = self.procs.get(name)
        self.killed.add(name)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    async def supervise(self) -> None:
        """Restart what exited on its own (a crash), remembering that it did."""
        while not self._stopping:
            for name, proc in list(self.procs.items()):
                code = proc.poll()
                if code is not None and name not in self.killed and not self._stopping:
                    self.unexpected_exits.append((name, code))
                    self.start(name)
            await asyncio.sleep(0.5)

    def stop_all(self, grace: float = 30.0) -> None:
        """SIGTERM, and SIGKILL for what has not exited after `grace` seconds."""
        self._stopping = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _ready(url: str) -> bool:
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - loopback
    ):
        return bool(response.status == 200)
    return False


def service_env(bootstrap: str, database_url: str, prefix: str, keys: Path, intake_url: str
                ) -> dict[str, str]:  # fmt: skip
    """What every service of one run reads: this run's broker, database, topics and keys, and
    short webhook timings so that a failing receiver is retried within the run."""
    return {
        **os.environ,
        "KINLINK_KAFKA_BOOTSTRAP": bootstrap,
        "KINLINK_DATABASE_URL": database_url,
        "KINLINK_TOPIC_PREFIX": prefix,
        "KINLINK_CORRELATOR_GROUP": f"{prefix}correlator",
        "KINLINK_NOTIFIER_GROUP": f"{prefix}notifier",
        "KINLINK_AUTH_PUBLIC_KEYS": str(keys),
        "KINLINK_INTAKE_URL": intake_url,
        "KINLINK_WEBHOOK_TIMEOUT": "2",
        "KINLINK_WEBHOOK_RETRY_INITIAL": "0.5",
        "KINLINK_WEBHOOK_RETRY_MAX": "3",
        "KINLINK_WEBHOOK_DISABLE_AFTER": "1000",
        "KINLINK_SSE_HEARTBEAT": "5",
        "KINLINK_LOG_LEVEL": "INFO",
    }
