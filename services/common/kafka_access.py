"""Starting a Kafka client, and telling refused credentials apart from an unreachable cluster.

aiokafka reports a broker that refused the SASL credentials as it reports a broker that is down
("Unable to bootstrap"), so the services would retry a wrong password forever and an operator
would look for a network fault. When a client with SASL settings cannot bootstrap, one more
connection is opened to see why; if the broker refused the credentials (or the mechanism), the
start fails with `KafkaCredentialsRefused`, which names the settings to fix and never the
password. It is not a KafkaError on purpose: retry loops that wait for Kafka must not swallow it
(a worker that gets it crashes, loudly, as misconfiguration should).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aiokafka.conn import create_conn
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)

_SASL_OPTIONS = ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password")


class KafkaCredentialsRefused(RuntimeError):
    """The brokers refused the configured SASL credentials or mechanism."""


class _Startable(Protocol):
    async def start(self) -> None: ...


async def start_client(
    client: _Startable, bootstrap: str, client_options: Mapping[str, Any] | None
) -> None:
    """`client.start()`; a bootstrap failure that is a refusal of the SASL credentials is raised
    as KafkaCredentialsRefused, anything else as it came."""
    try:
        await client.start()
    except KafkaConnectionError:
        refusal = await credentials_refusal(bootstrap, client_options or {})
        if refusal is not None:
            raise KafkaCredentialsRefused(refusal) from None
        raise


async def credentials_refusal(bootstrap: str, client_options: Mapping[str, Any]) -> str | None:
    """Why the first reachable broker refuses these SASL settings (None: it does not, or the
    settings use no SASL, or no broker can be reached to ask)."""
    protocol = str(client_options.get("security_protocol", "PLAINTEXT"))
    if not protocol.startswith("SASL_"):
        return None
    mechanism = client_options.get("sasl_mechanism")
    username = client_options.get("sasl_plain_username")
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            conn = await create_conn(
                host.strip("[]"),
                int(port),
                request_timeout_ms=10000,
                security_protocol=protocol,
                ssl_context=client_options.get("ssl_context"),
                **{name: client_options.get(name) for name in _SASL_OPTIONS},
            )
        except (SaslAuthenticationFailed, UnsupportedSaslMechanismError) as exc:
            detail = exc.args[0] if exc.args else type(exc).__name__
            return (
                f"Kafka at {address.strip()} refused the SASL credentials of user {username!r} "
                f"({mechanism}): check KINLINK_KAFKA_SASL_USERNAME, KINLINK_KAFKA_SASL_PASSWORD "
                f"and KINLINK_KAFKA_SASL_MECHANISM (broker said: {detail})"
            )
        except (KafkaError, OSError, TimeoutError, ValueError):
            continue
        conn.close()
        return None
    return None
