"""What the deployment files ask of real systems: `kinlink infra topics` (compose's topic job)
creates the topic list on a real broker and brings existing topics to the list's configs, and
the CloudNativePG bootstrap SQL of infra/k8s/postgres.yaml, then `kinlink migrate` as the owner
role, give each service a role that reads its own schema and no other, on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import TYPE_CHECKING

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from click.testing import CliRunner

from services.common.catalog import REGISTRATIONS
from services.common.roles import service_role, url_as
from services.common.schema_cli import migrate_services
from services.common.topics import load_topic_specs, sync_topics
from services.devstack.infra_cli import infra
from tests.contract.deployment import SERVICES, find

if TYPE_CHECKING:
    from services.common.config import CommonSettings
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


async def test_the_owner_migrates_and_each_service_role_reads_its_own_schema_only(
    stack: TestStack, settings: CommonSettings
) -> None:
    # `settings` provisions the cluster-wide roles, as CloudNativePG's managed roles would be
    # before its bootstrap SQL runs; this test then bootstraps a database of its own.
    del settings
    (database,) = find("Cluster")
    initdb = database["spec"]["bootstrap"]["initdb"]
    name = f"k8s_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(stack.admin_url)
    # The roles are cluster-wide and the test run made them already (the same attributes):
    # what CloudNativePG's initdb does for this database is to give it to the owner.
    await admin.execute(f'CREATE DATABASE "{name}" OWNER "{initdb["owner"]}"')
    url = stack.database_url(name)
    try:
        # What CloudNativePG runs once, as superuser, in the application database; the
        # database is called `kinlink` there.
        setup = await asyncpg.connect(url)
        try:
            for statement in initdb["postInitApplicationSQL"]:
                role = statement.split()[2] if statement.startswith("CREATE ROLE") else None
                if role and await setup.fetchval(
                    "SELECT NOT rolsuper AND NOT rolcreatedb AND NOT rolcreaterole AND rolcanlogin"
                    " FROM pg_roles WHERE rolname = $1", role
                ):
                    continue
                await setup.execute(statement.replace("DATABASE kinlink", f'DATABASE "{name}"'))
        finally:
            await setup.close()
        # What each service's init container runs: `kinlink migrate` as the owner.
        owner_url = url_as(url, initdb["owner"])
        await migrate_services(owner_url, {s: service_role(s) for s in SERVICES})
        await _each_service_reads_its_own_schema_only(url, initdb["owner"])
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _each_service_reads_its_own_schema_only(url: str, owner: str) -> None:
    for service in SERVICES:
        conn = await asyncpg.connect(url_as(url, service_role(service)))
        try:
            owners = await conn.fetch(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", service
            )
            assert [r["tableowner"] for r in owners] == [owner]
            assert await conn.fetchval(f'SELECT count(*) FROM "{service}".outbox') == 0
            for other in set(SERVICES) - {service}:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetch(f'SELECT 1 FROM "{other}".outbox LIMIT 1')
        finally:
            await conn.close()
