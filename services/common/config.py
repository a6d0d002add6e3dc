"""Typed settings shared by every service, read once from `KINLINK_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_KAFKA_PORT = 9092
DEFAULT_POSTGRES_PORT = 5433


def env_str(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value or default


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class CommonSettings:
    """Where the broker and the database are, and how topics are named.

    `topic_prefix` lets several isolated deployments (or test runs) share one cluster.
    """

    kafka_bootstrap: str
    database_url: str
    topic_prefix: str = ""
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CommonSettings:
        env = os.environ if env is None else env
        kafka_port = env_int(env, "KINLINK_KAFKA_PORT", DEFAULT_KAFKA_PORT)
        pg_port = env_int(env, "KINLINK_POSTGRES_PORT", DEFAULT_POSTGRES_PORT)
        return cls(
            kafka_bootstrap=env_str(env, "KINLINK_KAFKA_BOOTSTRAP", f"127.0.0.1:{kafka_port}"),
            database_url=env_str(
                env, "KINLINK_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{pg_port}/kinlink"
            ),
            topic_prefix=env_str(env, "KINLINK_TOPIC_PREFIX", ""),
            log_level=env_str(env, "KINLINK_LOG_LEVEL", "INFO").upper(),
        )

    def topic(self, name: str) -> str:
        """The physical topic name for a logical one such as `kinlink.alerts`."""
        return f"{self.topic_prefix}{name}"
