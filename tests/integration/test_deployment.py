"""What the deployment files ask of real systems: `kinlink infra topics` (compose's topic job)
creates the topic list on a real broker and brings existing topics to the list's configs, and
the CloudNativePG bootstrap SQL of infra/k8s/postgres.yaml gives each service a role that can
migrate its own schema, and only its own, on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from click.testing import CliRunner

from services.common.catalog import REGISTRATIONS
from services.common.migrations import migrate
from services.common.topics import load_topic_specs, sync_topics
from services.devstack.infra_cli import infra
from tests.contract.deployment import SERVICES, find

if TYPE_CHECKING:
    from tests.stack_fixtures import TestStack

pytestmark = pytest.mark.integration


async def _describe(bootstrap: str, names: list[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """topic -> (partitions, configs) as the broker reports them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(names)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        configs: dict[str, dict[str, str]] = {}
        for response in await admin.describe_configs(resources):
            for resource in response.resources:
                configs[resource[3]] = {entry[0]: entry[1] for entry in resource[4]}
    finally:
        await admin.close()
    return {name: (partitions[name], configs[name]) for name in names}


def test_the_topics_command_creates_the_topic_list(stack: TestStack) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}."
    env = {"KINLINK_KAFKA_BOOTSTRAP": stack.bootstrap, "KINLINK_TOPIC_PREFIX": prefix}
    runner = CliRunner()
    first = runner.invoke(infra, ["topics", "--min-insync-replicas", "1"], env=env)
    assert first.exit_code == 0, first.output
    specs = load_topic_specs()
    described = asyncio.run(_describe(stack.bootstrap, [prefix + s.name for s in specs]))
    for spec in specs:
        partitions, configs = described[prefix + spec.name]
        assert partitions == spec.partitions
        assert {name: configs[name] for name in spec.configs()} == spec.configs()
        assert configs["min.insync.replicas"] == "1"
    again = runner.invoke(infra, ["topics"], env=env)  # compose restarts: nothing changes
    assert again.exit_code == 0, again.output
    assert "created" not in again.output and again.output.count("exists") == len(specs)


def test_the_topics_command_sets_the_list_configs_on_existing_topics(stack: TestStack) -> None:
    # Topics created from an older list (plain delete, no compaction bounds), with an override
    # set by hand: the command brings them to the list and leaves the hand-made override alone.
    prefix = f"t{uuid.uuid4().hex[:10]}."
    specs = load_topic_specs()
    old = [
        dataclasses.replace(
            spec,
            cleanup_policy="delete",
            segment_ms=None,
            max_compaction_lag_ms=None,
            min_compaction_lag_ms=None,
            min_insync_replicas=1,
        )
        for spec in specs
    ]
    asyncio.run(sync_topics(stack.bootstrap, old, prefix))
    env = {"KINLINK_KAFKA_BOOTSTRAP": stack.bootstrap, "KINLINK_TOPIC_PREFIX": prefix}
    runner = CliRunner()
    result = runner.invoke(infra, ["topics"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{prefix}{REGISTRATIONS}" in result.output and "configs set" in result.output
    described = asyncio.run(_describe(stack.bootstrap, [prefix + s.name for s in specs]))
    for spec in specs:
        _, configs = described[prefix + spec.name]
        assert {name: configs[name] for name in spec.configs()} == spec.configs()
        assert configs["min.insync.replicas"] == "1"
    again = runner.invoke(infra, ["topics"], env=env)
    assert again.exit_code == 0 and "configs set" not in again.output, again.output


def _as(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port}"))


async def test_each_service_role_migrates_its_own_schema_and_reads_no_other(
    stack: TestStack,
) -> None:
    (database,) = find("Cluster")
    statements = database["spec"]["bootstrap"]["initdb"]["postInitApplicationSQL"]
    roles = [role["name"] for role in database["spec"]["managed"]["roles"]]
    name = f"k8s_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(stack.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = stack.database_url(name)
    try:
        # What CloudNativePG runs once, as superuser, in the application database; the
        # database is called `kinlink` there.
        setup = await asyncpg.connect(url)
        try:
            for statement in statements:
                await setup.execute(statement.replace("DATABASE kinlink", f'DATABASE "{name}"'))
        finally:
            await setup.close()
        await _migrate_as_each_service(url)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in roles:
            await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


async def _migrate_as_each_service(url: str) -> None:
    for service in SERVICES:
        config: Any = __import__(f"services.{service}.config", fromlist=["SCHEMA"])
        app: Any = __import__(f"services.{service}.app", fromlist=["MIGRATIONS"])
        conn = await asyncpg.connect(_as(url, service))
        try:
            applied = await migrate(conn, config.SCHEMA, app.MIGRATIONS)
            assert "common/0001_outbox_inbox" in applied
            owners = await conn.fetch(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", config.SCHEMA
            )
            assert [r["tableowner"] for r in owners] == [service]
            for other in set(SERVICES) - {service}:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetch(f'SELECT 1 FROM "{other}".outbox LIMIT 1')
        finally:
            await conn.close()
