"""The local stack as one unit: broker, database, topics, and the service processes.

`KINLINK_KAFKA_BOOTSTRAP` / `KINLINK_DATABASE_URL`, when set, point at external systems and
the corresponding local process is not started.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.common.config import (
    DEFAULT_KAFKA_PORT,
    DEFAULT_POSTGRES_PORT,
    KafkaSecurity,
    env_int,
    env_str,
)
from services.common.topics import ensure_topics, load_topic_specs, replicated
from services.devstack import process
from services.devstack.database import prepare_local_database, service_urls
from services.devstack.kafka import LocalKafka
from services.devstack.paths import cache_dir
from services.devstack.postgres import LocalPostgres


@dataclass(frozen=True)
class ServiceProcess:
    """A Kinlink service started as `python -m <module>` in the background."""

    name: str
    module: str
    port_env: str | None = None
    default_port: int | None = None


# Each runs as `python -m <module>`, in start order.
SERVICES: tuple[ServiceProcess, ...] = (
    ServiceProcess("intake", "services.intake", "KINLINK_INTAKE_PORT", 8080),
    ServiceProcess("correlator", "services.correlator", "KINLINK_CORRELATOR_PORT", 8070),
    ServiceProcess("notifier", "services.notifier", "KINLINK_NOTIFIER_PORT", 8090),
)


@dataclass(frozen=True)
class Stack:
    kafka: LocalKafka
    postgres: LocalPostgres
    external_kafka: str | None = None
    external_database: str | None = None
    services: tuple[ServiceProcess, ...] = field(default=SERVICES)
    # Topics' replication on the cluster the stack creates them in (production: 3 and 2).
    replication_factor: int = 1
    min_insync_replicas: int = 1
    # How the services (and so topic creation) reach an external cluster.
    kafka_security: KafkaSecurity = KafkaSecurity()
    topic_prefix: str = ""  # KINLINK_TOPIC_PREFIX, as the services name their topics

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, name: str = "") -> Stack:
        env = os.environ if env is None else env
        kafka_port = env_int(env, "KINLINK_KAFKA_PORT", DEFAULT_KAFKA_PORT)
        return cls(
            kafka=LocalKafka(
                port=kafka_port,
                controller_port=env_int(env, "KINLINK_KAFKA_CONTROLLER_PORT", kafka_port + 1),
                name=f"{name}kafka",
            ),
            postgres=LocalPostgres(
                port=env_int(env, "KINLINK_POSTGRES_PORT", DEFAULT_POSTGRES_PORT),
                name=f"{name}postgres",
            ),
            external_kafka=env.get("KINLINK_KAFKA_BOOTSTRAP") or None,
            external_database=env.get("KINLINK_DATABASE_URL") or None,
            replication_factor=env_int(env, "KINLINK_TOPIC_REPLICATION_FACTOR", 1),
            min_insync_replicas=env_int(env, "KINLINK_TOPIC_MIN_INSYNC_REPLICAS", 1),
            kafka_security=KafkaSecurity.from_env(env),
            topic_prefix=env_str(env, "KINLINK_TOPIC_PREFIX", ""),
        )

    @property
    def bootstrap(self) -> str:
        return self.external_kafka or self.kafka.bootstrap

    @property
    def database_url(self) -> str:
        return self.external_database or self.postgres.url

    def env(self) -> dict[str, str]:
        """Environment for processes that should use this stack: on the local database, each
        service connects as its own role (KINLINK_<SERVICE>_DATABASE_URL)."""
        intake_port = env_int(os.environ, "KINLINK_INTAKE_PORT", 8080)
        own_roles = (
            {}
            if self.external_database is not None
            else {
                f"KINLINK_{service.upper()}_DATABASE_URL": url
                for service, url in service_urls(self.database_url).items()
            }
        )
        return {
            # The notifier forwards the dashboard's detail views to this stack's intake.
            "KINLINK_INTAKE_URL": f"http://127.0.0.1:{intake_port}",
            **os.environ,
            "KINLINK_KAFKA_BOOTSTRAP": self.bootstrap,
            "KINLINK_DATABASE_URL": self.database_url,
            **own_roles,
        }

    def start_infra(self) -> None:
        if self.external_kafka is None:
            self.kafka.start()
        if self.external_database is None:
            self.postgres.start()
            # The owner role migrates; the services, started next, connect as their own roles.
            asyncio.run(prepare_local_database(self.database_url))
        specs = replicated(load_topic_specs(), self.replication_factor, self.min_insync_replicas)
        # An external cluster is reached as the services reach it (TLS, SASL); the local
        # broker has only its plaintext loopback listener.
        options = self.kafka_security.client_options() if self.external_kafka else None
        asyncio.run(ensure_topics(self.bootstrap, specs, self.topic_prefix, options))

    def stop_infra(self) -> None:
        if self.external_kafka is None:
            self.kafka.stop()
        if self.external_database is None:
            self.postgres.stop()

    def _pid_file(self, service: ServiceProcess) -> Path:
        return cache_dir() / "services" / f"{service.name}.pid"

    def _port(self, service: ServiceProcess) -> int | None:
        if service.port_env is None:
            return None
        return env_int(os.environ, service.port_env, service.default_port or 0)

    def start_services(self, timeout: float = 90.0) -> list[str]:
        """Start every service not running yet; return once each answers /readyz."""
        started = []
        for service in self.services:
            pid_file = self._pid_file(service)
            if process.read_pid(pid_file) is not None:
                continue
            pid_file.parent.mkdir(parents=True, exist_ok=True)
            log_file = cache_dir() / "services" / f"{service.name}.log"
            process.spawn(
                [sys.executable, "-m", service.module],
                log_file=log_file,
                pid_file=pid_file,
                env=self.env(),
            )
            started.append(service.name)
            port = self._port(service)
            if port is not None:
                self._wait_ready(service, port, log_file, timeout)
        return started

    def _wait_ready(
        self, service: ServiceProcess, port: int, log_file: Path, timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{port}/readyz"
        while time.monotonic() < deadline:
            if process.read_pid(self._pid_file(service)) is None:
                tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
                raise RuntimeError(f"{service.name} exited during start:\n{tail}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(
            f"{service.name} was not ready on {url} after {timeout:.0f}s; see {log_file}"
        )

    def stop_services(self) -> None:
        for service in reversed(self.services):
            process.stop(self._pid_file(service), timeout=30.0)

    def describe(self) -> list[tuple[str, str, bool]]:
        """(component, where it listens, running?) for `kinlink up` / `status`."""
        rows = [
            ("kafka", self.bootstrap, self.external_kafka is not None or self.kafka.running()),
            (
                "postgres",
                self.database_url,
                self.external_database is not None or self.postgres.running(),
            ),
        ]
        for service in self.services:
            port = (
                env_int(os.environ, service.port_env, service.default_port or 0)
                if service.port_env
                else 0
            )
            where = f"http://127.0.0.1:{port}" if port else "(consumer)"
            rows.append(
                (service.name, where, process.read_pid(self._pid_file(service)) is not None)
            )
        return rows
