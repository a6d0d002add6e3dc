"""Typed settings shared by every service, read once from `KINLINK_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_KAFKA_PORT = 9092
DEFAULT_POSTGRES_PORT = 5433
SERVICES = ("intake", "correlator", "notifier")  # each owns the PostgreSQL schema of its name


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


KAFKA_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
# libpq's TLS parameters, which asyncpg reads from the connection URL's query too.
_PG_TLS = {
    "KINLINK_DATABASE_SSLMODE": "sslmode",
    "KINLINK_DATABASE_SSLROOTCERT": "sslrootcert",
    "KINLINK_DATABASE_SSLCERT": "sslcert",
    "KINLINK_DATABASE_SSLKEY": "sslkey",
}


@dataclass(frozen=True)
class KafkaSecurity:
    """How clients reach the brokers: KINLINK_KAFKA_SECURITY_PROTOCOL (PLAINTEXT, SSL,
    SASL_PLAINTEXT, SASL_SSL), KINLINK_KAFKA_SSL_CAFILE (the CA that signed the brokers'
    certificates), KINLINK_KAFKA_SSL_CERTFILE and KINLINK_KAFKA_SSL_KEYFILE (a client
    certificate, for mutual TLS), KINLINK_KAFKA_SASL_MECHANISM (SCRAM-SHA-512),
    KINLINK_KAFKA_SASL_USERNAME and KINLINK_KAFKA_SASL_PASSWORD."""

    protocol: str = "PLAINTEXT"
    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str | None = None
    # never in a repr: settings objects end up in tracebacks and debug logs
    sasl_password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.protocol not in KAFKA_PROTOCOLS:
            raise ValueError(
                f"KINLINK_KAFKA_SECURITY_PROTOCOL must be one of {', '.join(KAFKA_PROTOCOLS)}"
            )
        if self.sasl_mechanism not in SASL_MECHANISMS:
            raise ValueError(
                f"KINLINK_KAFKA_SASL_MECHANISM must be one of {', '.join(SASL_MECHANISMS)}"
            )
        if self.uses_sasl and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                "KINLINK_KAFKA_SASL_USERNAME and KINLINK_KAFKA_SASL_PASSWORD are needed for SASL"
            )

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments every aiokafka client (producer, consumer, admin) is given."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(
                cafile=self.cafile, certfile=self.certfile, keyfile=self.keyfile
            )
        if self.uses_sasl:
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        return options

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KafkaSecurity:
        def optional(name: str) -> str | None:
            return env.get(name, "").strip() or None

        return cls(
            protocol=env_str(env, "KINLINK_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper(),
            cafile=optional("KINLINK_KAFKA_SSL_CAFILE"),
            certfile=optional("KINLINK_KAFKA_SSL_CERTFILE"),
            keyfile=optional("KINLINK_KAFKA_SSL_KEYFILE"),
            sasl_mechanism=env_str(env, "KINLINK_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512").upper(),
            sasl_username=optional("KINLINK_KAFKA_SASL_USERNAME"),
            # a password is taken as it is: spaces may be part of it
            sasl_password=env.get("KINLINK_KAFKA_SASL_PASSWORD") or None,
        )


def with_database_tls(url: str, env: Mapping[str, str]) -> str:
    """`url` with the KINLINK_DATABASE_SSL* settings in its query (they win over the URL's)."""
    wanted = {
        param: env[name].strip() for name, param in _PG_TLS.items() if env.get(name, "").strip()
    }
    if not wanted:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | wanted
    return urlunsplit(parts._replace(query=urlencode(query)))


def database_sslmode(url: str) -> str:
    """The sslmode a database URL asks for (libpq's default, `prefer`, if none)."""
    return dict(parse_qsl(urlsplit(url).query)).get("sslmode", "prefer")


@dataclass(frozen=True)
class CommonSettings:
    """Where the broker and the database are, how to reach them safely, and how topics are
    named. `topic_prefix` lets several isolated deployments (or test runs) share one cluster;
    `environment` (KINLINK_ENV: development or production) decides whether development
    defaults are refused at start (services.common.production)."""

    kafka_bootstrap: str
    database_url: str
    topic_prefix: str = ""
    log_level: str = "INFO"
    kafka_security: KafkaSecurity = KafkaSecurity()
    environment: str = "development"
    # The schema owner's connection, for migrations only (services.common.roles): when set,
    # a service migrates its schema as the owner and grants its own role what it needs.
    database_migration_url: str | None = None
    # Per-service connections (KINLINK_<SERVICE>_DATABASE_URL), winning over database_url for
    # that service: one environment can hold every service's own role (the local stack).
    service_database_urls: tuple[tuple[str, str], ...] = ()

    def database_url_for(self, service: str) -> str:
        """Where `service` connects, as its own role."""
        return dict(self.service_database_urls).get(service, self.database_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CommonSettings:
        env = os.environ if env is None else env
        kafka_port = env_int(env, "KINLINK_KAFKA_PORT", DEFAULT_KAFKA_PORT)
        pg_port = env_int(env, "KINLINK_POSTGRES_PORT", DEFAULT_POSTGRES_PORT)
        return cls(
            kafka_bootstrap=env_str(env, "KINLINK_KAFKA_BOOTSTRAP", f"127.0.0.1:{kafka_port}"),
            database_url=with_database_tls(
                env_str(
                    env,
                    "KINLINK_DATABASE_URL",
                    f"postgresql://postgres@127.0.0.1:{pg_port}/kinlink",
                ),
                env,
            ),
            topic_prefix=env_str(env, "KINLINK_TOPIC_PREFIX", ""),
            log_level=env_str(env, "KINLINK_LOG_LEVEL", "INFO").upper(),
            kafka_security=KafkaSecurity.from_env(env),
            environment=env_str(env, "KINLINK_ENV", "development").lower(),
            database_migration_url=(
                with_database_tls(env["KINLINK_DATABASE_MIGRATION_URL"].strip(), env)
                if env.get("KINLINK_DATABASE_MIGRATION_URL", "").strip()
                else None
            ),
            service_database_urls=tuple(
                (service, with_database_tls(env[name].strip(), env))
                for service in SERVICES
                if env.get(name := f"KINLINK_{service.upper()}_DATABASE_URL", "").strip()
            ),
        )

    def kafka_client_options(self) -> dict[str, Any]:
        """Keyword arguments every aiokafka client (producer, consumer, admin) is given."""
        return self.kafka_security.client_options()

    def topic(self, name: str) -> str:
        """The physical topic name for a logical one such as `kinlink.alerts`."""
        return f"{self.topic_prefix}{name}"
