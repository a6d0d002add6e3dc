"""Notifier settings: a frozen dataclass read once from `KINLINK_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.common.audit_retention import AuditRetention
from services.common.auth import AuthSettings
from services.common.config import CommonSettings, env_float, env_int, env_str
from services.common.cors import parse_origins
from services.common.rate_limit import RateLimitSettings

SCHEMA = "notifier"


@dataclass(frozen=True)
class NotifierSettings:
    """KINLINK_NOTIFIER_HOST (127.0.0.1), KINLINK_NOTIFIER_PORT (8090), KINLINK_NOTIFIER_GROUP
    (kinlink-notifier), KINLINK_REVIEW_WINDOW_HOURS (12: a match not reviewed by then
    escalates), KINLINK_ESCALATION_INTERVAL (30 s between deadline checks),
    KINLINK_SSE_HEARTBEAT (15 s), KINLINK_WEBHOOK_TIMEOUT (10 s per POST),
    KINLINK_WEBHOOK_RETRY_INITIAL (5 s) and KINLINK_WEBHOOK_RETRY_MAX (3600 s) for the
    exponential backoff, KINLINK_WEBHOOK_DISABLE_AFTER (10 failures in a row disable the
    endpoint until its owner re-enables it), KINLINK_INTAKE_URL (http://127.0.0.1:8080: where
    the dashboard's detail views are forwarded), KINLINK_NOTIFIER_MAX_BODY (65536 bytes),
    KINLINK_NOTIFIER_BODY_TIMEOUT (30 s for a request body to arrive; 408 after),
    KINLINK_NOTIFIER_SHUTDOWN_GRACE (15 s), KINLINK_RETENTION_AUDIT_DAYS and
    KINLINK_RETENTION_INTERVAL (`AuditRetention`: how long its audit entries are kept), plus
    the common broker/database settings and the KINLINK_AUTH_* keys and the
    KINLINK_RATE_LIMIT_* limits. KINLINK_CORS_ORIGINS (none: the dashboard is served from
    here) lists other sites whose scripts may call this API."""

    common: CommonSettings
    auth: AuthSettings = field(default_factory=AuthSettings)
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    host: str = "127.0.0.1"
    port: int = 8090
    group_id: str = "kinlink-notifier"
    review_window_hours: float = 12.0
    escalation_interval_seconds: float = 30.0
    sse_heartbeat_seconds: float = 15.0
    webhook_timeout_seconds: float = 10.0
    webhook_retry_initial_seconds: float = 5.0
    webhook_retry_max_seconds: float = 3600.0
    webhook_disable_after: int = 10
    intake_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = 64 * 1024
    body_timeout_seconds: float = 30.0
    page_size_max: int = 200
    shutdown_grace_seconds: float = 15.0
    cors_origins: tuple[str, ...] = ()
    audit_retention: AuditRetention = field(default_factory=AuditRetention)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierSettings:
        env = os.environ if env is None else env
        return cls(
            common=CommonSettings.from_env(env),
            auth=AuthSettings.from_env(env),
            rate_limits=RateLimitSettings.from_env(env),
            host=env_str(env, "KINLINK_NOTIFIER_HOST", "127.0.0.1"),
            port=env_int(env, "KINLINK_NOTIFIER_PORT", 8090),
            group_id=env_str(env, "KINLINK_NOTIFIER_GROUP", "kinlink-notifier"),
            review_window_hours=env_float(env, "KINLINK_REVIEW_WINDOW_HOURS", 12.0),
            escalation_interval_seconds=env_float(env, "KINLINK_ESCALATION_INTERVAL", 30.0),
            sse_heartbeat_seconds=env_float(env, "KINLINK_SSE_HEARTBEAT", 15.0),
            webhook_timeout_seconds=env_float(env, "KINLINK_WEBHOOK_TIMEOUT", 10.0),
            webhook_retry_initial_seconds=env_float(env, "KINLINK_WEBHOOK_RETRY_INITIAL", 5.0),
            webhook_retry_max_seconds=env_float(env, "KINLINK_WEBHOOK_RETRY_MAX", 3600.0),
            webhook_disable_after=env_int(env, "KINLINK_WEBHOOK_DISABLE_AFTER", 10),
            intake_url=env_str(env, "KINLINK_INTAKE_URL", "http://127.0.0.1:8080"),
            max_body_bytes=env_int(env, "KINLINK_NOTIFIER_MAX_BODY", 64 * 1024),
            body_timeout_seconds=env_float(env, "KINLINK_NOTIFIER_BODY_TIMEOUT", 30.0),
            shutdown_grace_seconds=env_float(env, "KINLINK_NOTIFIER_SHUTDOWN_GRACE", 15.0),
            cors_origins=parse_origins(env),
            audit_retention=AuditRetention.from_env(env),
        )
