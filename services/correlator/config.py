"""Correlator settings: a frozen dataclass read once from `KINLINK_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.common.audit_retention import AuditRetention
from services.common.config import CommonSettings, env_float, env_int, env_str

SCHEMA = "correlator"


@dataclass(frozen=True)
class CorrelatorSettings:
    """KINLINK_CORRELATOR_GROUP (kinlink-correlator), KINLINK_CORRELATOR_HOST (127.0.0.1),
    KINLINK_CORRELATOR_PORT (8070), KINLINK_MATCH_THRESHOLD (the fitted one),
    KINLINK_CORRELATOR_MAX_BACKFILL (5000 stored observations per alert change),
    KINLINK_CORRELATOR_SHUTDOWN_GRACE (15 s to drain), KINLINK_RETENTION_AUDIT_DAYS and
    KINLINK_RETENTION_INTERVAL (`AuditRetention`: how long its audit entries are kept), plus
    the common broker/database settings."""

    common: CommonSettings
    group_id: str = "kinlink-correlator"
    host: str = "127.0.0.1"
    port: int = 8070
    threshold: float | None = None  # None: the fitted threshold stored with the weights
    max_backfill: int = 5000
    shutdown_grace_seconds: float = 15.0
    audit_retention: AuditRetention = field(default_factory=AuditRetention)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CorrelatorSettings:
        env = os.environ if env is None else env
        raw_threshold = env.get("KINLINK_MATCH_THRESHOLD", "").strip()
        return cls(
            common=CommonSettings.from_env(env),
            group_id=env_str(env, "KINLINK_CORRELATOR_GROUP", "kinlink-correlator"),
            host=env_str(env, "KINLINK_CORRELATOR_HOST", "127.0.0.1"),
            port=env_int(env, "KINLINK_CORRELATOR_PORT", 8070),
            threshold=env_float(env, "KINLINK_MATCH_THRESHOLD", 0.0) if raw_threshold else None,
            max_backfill=env_int(env, "KINLINK_CORRELATOR_MAX_BACKFILL", 5000),
            shutdown_grace_seconds=env_float(env, "KINLINK_CORRELATOR_SHUTDOWN_GRACE", 15.0),
            audit_retention=AuditRetention.from_env(env),
        )
