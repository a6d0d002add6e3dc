"""A local KRaft broker that only speaks SASL_SSL with SCRAM-SHA-512 to clients, with ACLs on.

- Clients and the inter-broker link: SASL_SSL, SCRAM-SHA-512, the certificate of a throwaway
  CA (PEM keystore). The SCRAM users are written into the metadata when the storage is formatted
  (`--add-scram`), since the broker must authenticate to itself before any admin call works.
- The controller listener (loopback): SASL_PLAINTEXT with PLAIN, users from the JAAS config. In
  KRaft the controller cannot check SCRAM, whose credentials live in the metadata it serves.
- StandardAuthorizer, no access where no ACL allows it; `admin` is the only super user (the
  broker itself). `kinlink` gets ACLs per test (services.devstack.acls); `outsider` has a valid
  password and no ACL at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from services.common.config import KafkaSecurity
from services.devstack.kafka import LocalKafka
from tests.integration.security.certificates import make_certificates

SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
USERS = ("admin", "kinlink", "outsider")


@dataclass(frozen=True)
class SaslBroker:
    """Ports, the CA file clients trust, and the users' passwords (fresh for every run)."""

    sasl_port: int
    controller_port: int
    ca_file: Path
    passwords: dict[str, str] = field(
        default_factory=lambda: {u: secrets.token_urlsafe(18) for u in USERS}
    )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.sasl_port}"

    def security(self, user: str, password: str | None = None) -> KafkaSecurity:
        """What a client configured as `user` uses (KINLINK_KAFKA_* settings)."""
        return KafkaSecurity(
            protocol="SASL_SSL",
            cafile=str(self.ca_file),
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=user,
            sasl_password=password if password is not None else self.passwords[user],
        )

    def env(self, user: str) -> dict[str, str]:
        return {
            "KINLINK_KAFKA_BOOTSTRAP": self.bootstrap,
            "KINLINK_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KINLINK_KAFKA_SSL_CAFILE": str(self.ca_file),
            "KINLINK_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KINLINK_KAFKA_SASL_USERNAME": user,
            "KINLINK_KAFKA_SASL_PASSWORD": self.passwords[user],
        }


def make_sasl_broker(
    folder: Path, sasl_port: int, controller_port: int
) -> tuple[LocalKafka, SaslBroker]:
    certs = make_certificates(folder)
    broker = SaslBroker(sasl_port, controller_port, certs.ca_file)
    admin = broker.passwords["admin"]
    sasl, controller = f"127.0.0.1:{sasl_port}", f"127.0.0.1:{controller_port}"
    properties = (
        ("listeners", f"SASL_SSL://{sasl},CONTROLLER://{controller}"),
        ("advertised.listeners", f"SASL_SSL://{sasl}"),
        ("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT"),
        ("inter.broker.listener.name", "SASL_SSL"),
        ("sasl.enabled.mechanisms", "SCRAM-SHA-512"),
        ("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512"),
        (
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
            f'{SCRAM} required username="admin" password="{admin}";',
        ),
        ("sasl.mechanism.controller.protocol", "PLAIN"),
        ("listener.name.controller.sasl.enabled.mechanisms", "PLAIN"),
        (
            "listener.name.controller.plain.sasl.jaas.config",
            f'{PLAIN} required username="admin" password="{admin}" user_admin="{admin}";',
        ),
        ("ssl.keystore.type", "PEM"),
        ("ssl.keystore.certificate.chain", certs.server_cert_pem),
        ("ssl.keystore.key", certs.server_key_pem),
        ("ssl.client.auth", "none"),
        # the broker is a client of itself on the inter-broker listener: it trusts the CA too
        ("ssl.truststore.type", "PEM"),
        ("ssl.truststore.certificates", certs.ca_file.read_text().strip()),
        ("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"),
        ("super.users", "User:admin"),
        ("allow.everyone.if.no.acl.found", "false"),
    )
    scram = [
        arg
        for user, password in broker.passwords.items()
        for arg in ("--add-scram", f"SCRAM-SHA-512=[name={user},password={password}]")
    ]
    kafka = LocalKafka(
        port=sasl_port,
        controller_port=controller_port,
        name=f"test-kafka-sasl-{sasl_port}",
        extra_properties=properties,
        format_args=tuple(scram),
    )
    return kafka, broker
