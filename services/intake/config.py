"""Intake settings: a frozen dataclass read once from `KINLINK_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.common.auth import AuthSettings
from services.common.config import CommonSettings, env_float, env_int, env_str

SCHEMA = "intake"
SOURCE_PREFIX = "/kinlink/intake/"


@dataclass(frozen=True)
class IntakeSettings:
    """KINLINK_INTAKE_HOST (127.0.0.1), KINLINK_INTAKE_PORT (8080), KINLINK_INTAKE_MAX_BODY
    (262144 bytes), KINLINK_INTAKE_BODY_TIMEOUT (30 s for a request body to arrive; 408 after),
    KINLINK_INTAKE_CLOCK_SKEW (300 s: how far in the future a reported time
    may lie), KINLINK_INTAKE_SHUTDOWN_GRACE (15 s for in-flight requests), plus the common
    broker/database settings and KINLINK_AUTH_* keys. `run_relay` is off only in tests that
    drive the outbox relay themselves."""

    common: CommonSettings
    auth: AuthSettings = field(default_factory=AuthSettings)
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 256 * 1024
    body_timeout_seconds: float = 30.0
    clock_skew_seconds: float = 300.0
    shutdown_grace_seconds: float = 15.0
    page_size_max: int = 200
    run_relay: bool = True
    relay_poll_interval: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if env is None else env
        return cls(
            common=CommonSettings.from_env(env),
            auth=AuthSettings.from_env(env),
            host=env_str(env, "KINLINK_INTAKE_HOST", "127.0.0.1"),
            port=env_int(env, "KINLINK_INTAKE_PORT", 8080),
            max_body_bytes=env_int(env, "KINLINK_INTAKE_MAX_BODY", 256 * 1024),
            body_timeout_seconds=env_float(env, "KINLINK_INTAKE_BODY_TIMEOUT", 30.0),
            clock_skew_seconds=env_float(env, "KINLINK_INTAKE_CLOCK_SKEW", 300.0),
            shutdown_grace_seconds=env_float(env, "KINLINK_INTAKE_SHUTDOWN_GRACE", 15.0),
        )
