"""The chaos run's own broker cluster and database, on ports of its own, and each run's world
(a fresh database and topic prefix, so the fault-free and the faulty run never meet).

Port plan from `base`: PostgreSQL on base, Kafka node i on base+10+2(i-1) (its controller on
the next port), services from base+20, webhook receivers from base+30.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from services.common.topics import ensure_topics, load_topic_specs, replicated
from services.devstack.kafka_cluster import KafkaCluster
from services.devstack.paths import cache_dir
from services.devstack.postgres import LocalPostgres, _as_user, _bin


@dataclass(frozen=True)
class World:
    """Where one run's services keep their state."""

    name: str
    bootstrap: str
    database_url: str
    topic_prefix: str


class ChaosInfra:
    def __init__(self, base_port: int, brokers: int) -> None:
        self.base_port = base_port
        self.folder = f"chaos-{base_port}"
        self.kafka = KafkaCluster(
            size=brokers, base_port=base_port + 10, name=f"{self.folder}/kafka"
        )
        self.postgres = LocalPostgres(port=base_port, name=f"{self.folder}/postgres")

    @property
    def home(self) -> Path:
        return cache_dir() / self.folder

    def port(self, offset: int) -> int:
        return self.base_port + offset

    def start(self) -> None:
        """Wipe what an earlier run left, then start the cluster and the database."""
        self.kafka.wipe()
        self.postgres.wipe()
        shutil.rmtree(self.home, ignore_errors=True)
        with ThreadPoolExecutor(max_workers=2) as pool:  # neither waits for the other
            for started in [pool.submit(self.kafka.start), pool.submit(self.postgres.start)]:
                started.result()

    def stop(self) -> None:
        """Everything is wiped at the next start: no need for a clean shutdown."""
        for node in self.kafka.nodes:
            node.kill()
        self.postgres.stop()

    async def world(self, name: str) -> World:
        """A fresh database and topic prefix; topics replicated as the cluster allows."""
        admin = await asyncpg.connect(self.postgres.admin_url())
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "chaos_{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "chaos_{name}"')
        finally:
            await admin.close()
        specs = replicated(
            load_topic_specs(), self.kafka.replication_factor, self.kafka.min_insync
        )
        prefix = f"chaos.{name}."
        await ensure_topics(self.kafka.bootstrap, specs, prefix=prefix)
        url = self.postgres.url.rsplit("/", 1)[0] + f"/chaos_{name}"
        return World(name, self.kafka.bootstrap, url, prefix)

    # -- faults ------------------------------------------------------------------------

    def kill_broker(self, index: int) -> None:
        self.kafka.nodes[index].kill()

    async def start_broker(self, index: int) -> None:
        await asyncio.to_thread(self.kafka.nodes[index].start, 120.0)

    async def stop_postgres(self) -> None:
        """A fast shutdown: every session is cut, as in a failover or a restart."""
        await asyncio.to_thread(self.postgres.stop)

    async def start_postgres(self) -> None:
        await asyncio.to_thread(self.postgres.start)

    async def kill_postgres(self) -> None:
        """An immediate shutdown (no checkpoint): PostgreSQL recovers from its WAL at start."""
        argv = [_bin("pg_ctl"), "-D", str(self.postgres.pgdata), "-w", "-m", "immediate", "stop"]
        user = _as_user()

        def stop() -> None:
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **user)  # type: ignore[call-overload]

        await asyncio.to_thread(stop)
