"""Production refuses development defaults: with KINLINK_ENV=production a service does not start
on the generated development key, without TLS to Kafka and PostgreSQL, or with a wildcard CORS
origin; and once connected, not as a PostgreSQL superuser or as a role that owns (or is a member
of the owner of) its schema, which could disable the audit log's triggers or rewrite it. Each
refusal names the setting to change; `serve` prints them and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

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
    urls = [common.database_url, *(url for _, url in common.service_database_urls)]
    if common.database_migration_url:
        urls.append(common.database_migration_url)
    sslmodes = sorted({database_sslmode(url) for url in urls} - set(_TLS_SSLMODES))
    if sslmodes:
        refusals.append(
            "KINLINK_DATABASE_SSLMODE (or sslmode in KINLINK_DATABASE_URL and the other database"
            " URLs) must be verify-full, verify-ca or require in production"
            f" (it is {', '.join(sslmodes)})"
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


class ProductionRefused(RuntimeError):
    """Raised at start, after connecting, when production refuses the connection's role."""

    def __init__(self, refusals: list[str]) -> None:
        super().__init__("; ".join(refusals))
        self.refusals = refusals


async def connection_refusals(
    conn: asyncpg.Connection, common: CommonSettings, schema: str
) -> list[str]:
    """What production refuses of the role `conn` logged in as (empty outside production)."""
    if common.environment != PRODUCTION:
        return []
    row = await conn.fetchrow(
        "SELECT r.rolname, r.rolsuper, r.rolbypassrls,"
        " coalesce((SELECT pg_has_role(r.oid, n.nspowner, 'USAGE') FROM pg_namespace n"
        "           WHERE n.nspname = $1), false) AS owns_schema"
        " FROM pg_roles r WHERE r.rolname = current_user",
        schema,
    )
    role = row["rolname"]
    setting = f"KINLINK_{schema.upper()}_DATABASE_URL or KINLINK_DATABASE_URL"
    if row["rolsuper"] or row["rolbypassrls"]:
        return [
            f"{setting} must not connect as a superuser in production (it connects as {role}):"
            f" use the service's own role, e.g. kinlink_{schema} (README, Security)"
        ]
    if row["owns_schema"]:
        return [
            f"{setting} connects as {role}, which owns schema {schema}: connect as the"
            f" service's own role (e.g. kinlink_{schema}); the owner only runs migrations"
            " (KINLINK_DATABASE_MIGRATION_URL or `kinlink migrate`)"
        ]
    return []
