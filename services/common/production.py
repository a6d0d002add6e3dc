"""Production refuses development defaults: with KINLINK_ENV=production a service does not start
on the generated development key, without TLS to Kafka and PostgreSQL, or with a wildcard CORS
origin. Each refusal names the setting to change; `serve` prints them and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common.auth import AuthSettings
from services.common.config import CommonSettings, database_sslmode
from services.common.keys import DEV_KID, load_public_keys

PRODUCTION = "production"
ENVIRONMENTS = ("development", PRODUCTION)
_TLS_SSLMODES = ("require", "verify-ca", "verify-full")


def production_refusals(
    common: CommonSettings, auth: AuthSettings | None, cors_origins: Sequence[str] = ()
) -> list[str]:
    """What stops this configuration from running in production (empty: nothing, or not
    production). An unknown KINLINK_ENV is refused too, so a typo never means development."""
    if common.environment not in ENVIRONMENTS:
        return [f"KINLINK_ENV must be one of {', '.join(ENVIRONMENTS)}, not {common.environment!r}"]
    if common.environment != PRODUCTION:
        return []
    refusals: list[str] = []
    if auth is not None and _development_key(auth):
        refusals.append(
            "KINLINK_AUTH_PUBLIC_KEYS (and KINLINK_AUTH_PRIVATE_KEY for signing) must name your"
            " own keys: the generated development key is refused in production"
        )
    if not common.kafka_security.uses_tls:
        refusals.append(
            "KINLINK_KAFKA_SECURITY_PROTOCOL must be SSL or SASL_SSL in production"
            f" (it is {common.kafka_security.protocol})"
        )
    sslmode = database_sslmode(common.database_url)
    if sslmode not in _TLS_SSLMODES:
        refusals.append(
            "KINLINK_DATABASE_SSLMODE (or sslmode in KINLINK_DATABASE_URL) must be verify-full,"
            f" verify-ca or require in production (it is {sslmode})"
        )
    if "*" in cors_origins:
        refusals.append("KINLINK_CORS_ORIGINS must list origins; '*' is refused in production")
    return refusals


def _development_key(auth: AuthSettings) -> bool:
    if auth.uses_development_key:
        return True
    try:
        assert auth.public_keys is not None  # uses_development_key said so
        return DEV_KID in load_public_keys(auth.public_keys)
    except (OSError, ValueError):
        return False  # unreadable keys fail at start anyway, with their own message
