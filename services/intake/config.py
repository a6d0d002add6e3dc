"""Intake settings: a frozen dataclass read once from `KINLINK_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.common.auth import AuthSettings
from services.common.config import CommonSettings, env_float, env_int, env_str
from services.common.rate_limit import RateLimitSettings
from services.intake.retention.config import RetentionSettings

SCHEMA = "intake"
SOURCE_PREFIX = "/kinlink/intake/"


@dataclass(frozen=True)
class IntakeSettings:
    """KINLINK_INTAKE_HOST (127.0.0.1), KINLINK_INTAKE_PORT (8080), KINLINK_INTAKE_MAX_BODY
    (262144 bytes), KINLINK_INTAKE_BODY_TIMEOUT (30 s for a request body to arrive; 408 after),
    KINLINK_INTAKE_CLOCK_SKEW (300 s: how far in the future a reported time
    may lie), KINLINK_INTAKE_SHUTDOWN_GRACE (15 s for in-flight requests),
    KINLINK_INTAKE_DB_POOL (20 connections: concurrent write transactions, plus the relay's
    two; each write waits for its commit to reach disk, so this bounds throughput), plus the
    common broker/database settings, the KINLINK_AUTH_* keys, the KINLINK_RATE_LIMIT_* limits
    and KINLINK_RETENTION_* (retention/config.py). `run_relay` is off only in tests that drive
    the outbox relay themselves; `run_consumer` (the `match.reviewed` consumer, group
    KINLINK_INTAKE_GROUP) only in tests without a broker. PFIF: KINLINK_PFIF_DOMAIN (the domain
    in the ids of records this deployment originates), KINLINK_PFIF_SOURCE_NAME, KINLINK_PFIF_
    EXPIRY_DAYS (365: expiry of a record that names none), KINLINK_PFIF_RECORD_URL (intake's
    public base URL for source_url; empty: none)."""

    common: CommonSettings
    auth: AuthSettings = field(default_factory=AuthSettings)
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 256 * 1024
    body_timeout_seconds: float = 30.0
    clock_skew_seconds: float = 300.0
    shutdown_grace_seconds: float = 15.0
    db_pool_size: int = 20
    page_size_max: int = 200
    run_relay: bool = True
    relay_poll_interval: float = 1.0
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    run_consumer: bool = True
    group_id: str = "kinlink-intake"
    pfif_domain: str = "kinlink.local"
    pfif_source_name: str = "Kinlink"
    pfif_expiry_days: int = 365
    pfif_record_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if env is None else env
        return cls(
            common=CommonSettings.from_env(env),
            auth=AuthSettings.from_env(env),
            rate_limits=RateLimitSettings.from_env(env),
            host=env_str(env, "KINLINK_INTAKE_HOST", "127.0.0.1"),
            port=env_int(env, "KINLINK_INTAKE_PORT", 8080),
            max_body_bytes=env_int(env, "KINLINK_INTAKE_MAX_BODY", 256 * 1024),
            body_timeout_seconds=env_float(env, "KINLINK_INTAKE_BODY_TIMEOUT", 30.0),
            clock_skew_seconds=env_float(env, "KINLINK_INTAKE_CLOCK_SKEW", 300.0),
            shutdown_grace_seconds=env_float(env, "KINLINK_INTAKE_SHUTDOWN_GRACE", 15.0),
            retention=RetentionSettings.from_env(env),
            db_pool_size=env_int(env, "KINLINK_INTAKE_DB_POOL", 20),
            group_id=env_str(env, "KINLINK_INTAKE_GROUP", "kinlink-intake"),
            pfif_domain=env_str(env, "KINLINK_PFIF_DOMAIN", "kinlink.local"),
            pfif_source_name=env_str(env, "KINLINK_PFIF_SOURCE_NAME", "Kinlink"),
            pfif_expiry_days=env_int(env, "KINLINK_PFIF_EXPIRY_DAYS", 365),
            pfif_record_url=env_str(env, "KINLINK_PFIF_RECORD_URL", ""),
        )
