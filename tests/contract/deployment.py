"""The deployment files (infra/k8s, infra/compose.yaml, infra/Containerfile) and what the code
says they must agree with: the environment each service reads, its port and its routes.

The variables a service reads are derived from the code, never listed by hand: its settings'
`from_env` runs against a mapping that records every name asked for, and the modules it runs
are scanned for direct `os.environ` reads (the schema folder, the cache folder).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from services.common.auth import AuthSettings
from services.common.config import CommonSettings
from services.correlator.config import CorrelatorSettings
from services.intake.config import IntakeSettings
from services.notifier.config import NotifierSettings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "infra" / "k8s"
COMPOSE_FILE = REPO / "infra" / "compose.yaml"
CONTAINERFILE = REPO / "infra" / "Containerfile"
SECRETS_FILE = K8S / "secrets.yaml"
_ENVIRON_READ = re.compile(r"os\.environ(?:\.get\(|\[)\s*[\"'](KINLINK_[A-Z0-9_]+)[\"']")


class RecordingEnv(dict[str, str]):
    """An empty environment that remembers every variable name read from it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.names.add(key)
        return default

    def __getitem__(self, key: str) -> str:
        self.names.add(key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.names.add(key)
        return False


def environ_reads(folders: Iterable[str]) -> set[str]:
    """`KINLINK_*` names read straight from os.environ in the modules of these packages."""
    names: set[str] = set()
    for folder in folders:
        for path in (REPO / "services" / folder).rglob("*.py"):
            names.update(_ENVIRON_READ.findall(path.read_text(encoding="utf-8")))
    return names


def settings_reads(*readers: Callable[[RecordingEnv], object]) -> set[str]:
    env = RecordingEnv()
    for read in readers:
        read(env)
    return env.names


@dataclass(frozen=True)
class Service:
    """A deployed service: its name, module, settings class and the variables it reads."""

    name: str
    settings: Any  # the settings class, with `from_env(env)` and a `port` default

    @property
    def module(self) -> str:
        return f"services.{self.name}"

    @property
    def default_port(self) -> int:
        return int(next(f.default for f in fields(self.settings) if f.name == "port"))

    def reads(self) -> set[str]:
        return settings_reads(self.settings.from_env) | environ_reads(["common", self.name])


SERVICES = {
    s.name: s
    for s in (
        Service("intake", IntakeSettings),
        Service("correlator", CorrelatorSettings),
        Service("notifier", NotifierSettings),
    )
}


def tool_reads() -> set[str]:
    """What the `kinlink` command's jobs (topics, keys, demo) may read."""
    return settings_reads(CommonSettings.from_env, AuthSettings.from_env) | environ_reads(
        ["common", "demo", "devstack"]
    )


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def all_manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in manifest_files():
        for doc in documents(path):
            yield path, doc


def find(kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        doc
        for _, doc in all_manifests()
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]


def one(kind: str, name: str) -> dict[str, Any]:
    found = find(kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def pod_environment(deployment: dict[str, Any]) -> dict[str, str]:
    """The environment a Deployment's container gets: its ConfigMaps, Secrets and `env`."""
    spec = container(deployment)
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            env.update(one("ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            env.update(one("Secret", source["secretRef"]["name"])["stringData"])
    for item in spec.get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        # A value from a Secret the cluster makes (e.g. Strimzi's KafkaUser): named, not known.
        env[item["name"]] = f"<{ref['name']}/{ref['key']}>" if ref else str(item.get("value", ""))
    return env
