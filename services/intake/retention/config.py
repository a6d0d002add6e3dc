"""Retention settings: periods and the job's schedule, read from `KINLINK_RETENTION_*`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from services.common.config import env_float, env_int, env_str
from services.intake.retention.policy import MISSING, PREVENTIVE, RetentionPolicy


@dataclass(frozen=True)
class RetentionSettings:
    """KINLINK_RETENTION_REVIEW_DAYS_PREVENTIVE (365: abduction_risk, exploitation_risk),
    KINLINK_RETENTION_REVIEW_DAYS_MISSING (1826: missing, missing_protected),
    KINLINK_RETENTION_WARNING_DAYS (122: warn the issuer this long before the review date),
    KINLINK_RETENTION_AFTER_END_DAYS (90: keep a found or withdrawn alert this long),
    KINLINK_RETENTION_OBSERVATION_DAYS (365: keep a registration or sighting no open alert
    needs this long), KINLINK_RETENTION_AUDIT_DAYS (1096: keep audit entries this long),
    KINLINK_RETENTION_INTERVAL (3600 s between runs of the job in intake),
    KINLINK_RETENTION_WORKER (on: off leaves the job to `kinlink retention run`)."""

    policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    interval_seconds: float = 3600.0
    worker: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetentionSettings:
        env = os.environ if env is None else env
        preventive = env_int(env, "KINLINK_RETENTION_REVIEW_DAYS_PREVENTIVE", 365)
        missing = env_int(env, "KINLINK_RETENTION_REVIEW_DAYS_MISSING", 1826)
        policy = RetentionPolicy(
            review_days={**dict.fromkeys(PREVENTIVE, preventive),
                         **dict.fromkeys(MISSING, missing)},
            warning=timedelta(days=env_int(env, "KINLINK_RETENTION_WARNING_DAYS", 122)),
            after_end=timedelta(days=env_int(env, "KINLINK_RETENTION_AFTER_END_DAYS", 90)),
            observation=timedelta(days=env_int(env, "KINLINK_RETENTION_OBSERVATION_DAYS", 365)),
            audit=timedelta(days=env_int(env, "KINLINK_RETENTION_AUDIT_DAYS", 1096)),
        )
        return cls(
            policy=policy,
            interval_seconds=env_float(env, "KINLINK_RETENTION_INTERVAL", 3600.0),
            worker=env_str(env, "KINLINK_RETENTION_WORKER", "on").lower()
            not in ("off", "0", "false"),
        )
