"""Kafka ACLs for a Kinlink service account, on a cluster that runs an authorizer.

A service account may use the Kinlink topics (`<prefix>kinlink.*`: read, write, describe, and
create for `kinlink infra topics`) and the consumer groups whose names start with its group
prefix (`kinlink-` by default: kinlink-intake, kinlink-intake-links, kinlink-correlator,
kinlink-notifier), and nothing else. Both are PREFIXED resource patterns, so topics added to
infra/kafka/topics.yaml later are covered. Idempotent producers need no cluster right since
Kafka 3.0 (WRITE on the topic implies it).

aiokafka's admin client has no ACL call, so the CreateAcls request (from aiokafka's protocol
module) is sent through the admin client's request path; the broker answers per binding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest

from services.common.kafka_access import start_client

# Kafka's wire codes (org.apache.kafka.common.resource / acl).
TOPIC, GROUP = 2, 3
PREFIXED = 4
READ, WRITE, CREATE, DESCRIBE, DESCRIBE_CONFIGS = 3, 4, 5, 8, 10
ALLOW = 3
OPERATION_NAMES = {
    READ: "READ",
    WRITE: "WRITE",
    CREATE: "CREATE",
    DESCRIBE: "DESCRIBE",
    DESCRIBE_CONFIGS: "DESCRIBE_CONFIGS",
}


@dataclass(frozen=True)
class AclBinding:
    """Allow `principal` to do `operation` on resources whose name starts with `prefix`."""

    resource_type: int
    prefix: str
    principal: str
    operation: int

    def describe(self) -> str:
        kind = "topic" if self.resource_type == TOPIC else "group"
        return f"{self.principal} {OPERATION_NAMES[self.operation]} {kind} {self.prefix}*"


def service_bindings(
    principal: str, topic_prefix: str = "", group_prefix: str = "kinlink-", create: bool = True
) -> list[AclBinding]:
    """What one service account needs: the Kinlink topics and its consumer groups."""
    topic_ops = [READ, WRITE, DESCRIBE, DESCRIBE_CONFIGS] + ([CREATE] if create else [])
    topics = f"{topic_prefix}kinlink."
    return [AclBinding(TOPIC, topics, principal, op) for op in topic_ops] + [
        AclBinding(GROUP, group_prefix, principal, op) for op in (READ, DESCRIBE)
    ]


async def grant(
    bootstrap: str, bindings: list[AclBinding], client_options: Mapping[str, Any] | None = None
) -> None:
    """Create the ACLs (an existing one is left as it is); raise the broker's error if one is
    refused (for instance: the caller is not a super user, or no authorizer is configured)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=30000, **(client_options or {})
    )
    await start_client(admin, bootstrap, client_options)
    try:
        for binding in bindings:
            request = CreateAclsRequest(
                binding.resource_type,
                binding.prefix,
                PREFIXED,
                binding.principal,
                "*",
                binding.operation,
                ALLOW,
            )
            response = await admin._send_request(request)
            for error_code, message in response.creation_responses:
                if error_code:
                    raise for_code(error_code)(f"{binding.describe()}: {message}")
    finally:
        await admin.close()
