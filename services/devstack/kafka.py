"""Apache Kafka (KRaft) from Maven Central jars, run from the checkout's cache: one node (a
local cluster of N nodes is `kafka_cluster`).

The jars are resolved once by Maven (infra/kafka/pom.xml) into `<cache>/kafka/libs`; the
storage is formatted once; each node runs as a detached JVM whose pid is kept in a file. The
nodes of a cluster share one cluster id and a controller quorum of all of them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import string
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from services.devstack import process
from services.devstack.paths import INFRA_DIR, cache_dir

POM = INFRA_DIR / "kafka" / "pom.xml"
TEMPLATE = INFRA_DIR / "kafka" / "server.properties.template"
LOG4J = INFRA_DIR / "kafka" / "log4j2.yaml"
# 2 cores / 24 GiB: a 1 GiB heap is ample for one local broker and leaves the page cache room.
HEAP_OPTS = ["-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"]
# Several nodes on one small machine: smaller heaps each.
CLUSTER_HEAP_OPTS = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"]


class KafkaStartError(RuntimeError):
    """The broker did not come up; the message points at its log."""


def libs_dir() -> Path:
    return cache_dir() / "kafka" / "libs"


def resolve_jars() -> Path:
    """Copy the broker jars from Maven Central once; again only when the pom changes."""
    libs = libs_dir()
    stamp = libs / ".pom.sha256"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return libs
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise KafkaStartError("Java 17+ and Maven are required to provision the local Kafka broker")
    if libs.exists():
        shutil.rmtree(libs)
    libs.mkdir(parents=True)
    subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        check=True,
    )
    stamp.write_text(digest)
    return libs


def property_line(key: str, value: str) -> str:
    """`key=value` as java.util.Properties reads it back (multi-line PEM values included)."""
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n")
    return f"{key}={escaped}"


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@dataclass(frozen=True)
class LocalKafka:
    """One local node: its ports and its own folder under the cache.

    Alone (the defaults) it is its own controller quorum with replication factor 1; as a member
    of a `KafkaCluster` it names the cluster's quorum, id and replication settings.
    `extra_properties` are appended to the generated server.properties and win over the
    template (the last value of a key counts): more listeners (TLS, SASL), their protocol map,
    keystores. `format_args` are added to the storage format command, e.g. `--add-scram
    SCRAM-SHA-512=[name=...,password=...]` to bootstrap SCRAM users (KRaft keeps them in the
    metadata log, so a broker whose inter-broker listener uses SCRAM needs them before it starts).
    """

    port: int = 9092
    controller_port: int = 9093
    name: str = "kafka"
    extra_properties: tuple[tuple[str, str], ...] = ()
    node_id: int = 1
    quorum_voters: str = ""  # empty: this node alone
    cluster_id: str = ""  # empty: a fresh id when the storage is formatted
    replication_factor: int = 1
    min_insync: int = 1
    heap: tuple[str, ...] = tuple(HEAP_OPTS)
    format_args: tuple[str, ...] = ()

    @property
    def home(self) -> Path:
        return cache_dir() / self.name

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    def running(self) -> bool:
        return process.read_pid(self.pid_file) is not None

    def _write_config(self) -> Path:
        config = self.home / "server.properties"
        voters = self.quorum_voters or f"{self.node_id}@127.0.0.1:{self.controller_port}"
        text = string.Template(TEMPLATE.read_text()).substitute(
            port=self.port,
            controller_port=self.controller_port,
            data_dir=self.data_dir,
            node_id=self.node_id,
            quorum_voters=voters,
            replication_factor=self.replication_factor,
            min_insync=self.min_insync,
        )
        if self.extra_properties:
            lines = [property_line(key, value) for key, value in self.extra_properties]
            text += "\n# extra properties\n" + "\n".join(lines) + "\n"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(text)
        return config

    def _java(self, *args: str, heap: list[str] | None = None) -> list[str]:
        java = (
            os.path.join(os.environ["JAVA_HOME"], "bin", "java")
            if "JAVA_HOME" in os.environ
            else "java"
        )
        return [
            java,
            *(heap or ["-Xmx256m"]),
            f"-Dkafka.log.dir={self.log_dir}",
            f"-Dlog4j2.configurationFile={LOG4J}",
            "-cp",
            f"{libs_dir()}/*",
            *args,
        ]

    def _format_once(self, config: Path) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cluster_id = self.cluster_id or new_cluster_id()
        subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(config),
                *self.format_args,
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self, timeout: float = 90.0) -> None:
        """Start the broker unless it already runs; return once it accepts connections."""
        if self.launch():
            self.wait_listening(timeout)

    def launch(self) -> bool:
        """Start the JVM without waiting for it (a cluster starts all its nodes at once, as a
        node waits for its quorum); False if it already ran."""
        if self.running():
            return False
        if process.port_open("127.0.0.1", self.port):
            raise KafkaStartError(f"port {self.port} is taken by another process")
        resolve_jars()
        config = self._write_config()
        self._format_once(config)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        process.spawn(
            self._java("kafka.Kafka", str(config), heap=list(self.heap)),
            log_file=self.log_dir / "stdout.log",
            pid_file=self.pid_file,
        )
        return True

    def wait_listening(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise KafkaStartError(f"broker exited during start; see {self.log_dir}/server.log")
            if process.port_open("127.0.0.1", self.port):
                return
            time.sleep(0.2)
        raise KafkaStartError(
            f"broker did not listen on {self.port} in {timeout:.0f}s; see {self.log_dir}"
        )

    def stop(self) -> bool:
        """Clean shutdown (SIGTERM: the broker flushes and closes its logs)."""
        return process.stop(self.pid_file, timeout=60.0)

    def kill(self) -> None:
        """Crash the broker (SIGKILL), for failure tests."""
        process.kill(self.pid_file)

    def wipe(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
