"""Stack fixtures (a pytest plugin, `-p tests.stack_fixtures`): a real Kafka broker and
PostgreSQL started once for the test run, shared by integration and e2e tests.

The test stack has its own ports (KINLINK_TEST_KAFKA_PORT, KINLINK_TEST_POSTGRES_PORT) and
cache folders (`.cache/test-*`), wiped at start, so it never
touches a developer's `make up` stack. Set KINLINK_TEST_KAFKA_BOOTSTRAP and
KINLINK_TEST_DATABASE_URL to run against external systems instead. Every test gets its own topic
prefix and its own database, so tests cannot see each other's events or rows. Each database is
provisioned as a deployment's is (services.common.roles): the services started in tests connect
as their own roles (kinlink_intake, ...) and migrate as the owner role (kinlink_owner).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import pytest

from services.common.config import CommonSettings
from services.common.db import create_pool
from services.common.schema_registry import SchemaRegistry
from services.common.topics import ensure_topics, load_topic_specs
from services.devstack.database import owner_url, provision_database, service_urls
from services.devstack.kafka import LocalKafka
from services.devstack.postgres import LocalPostgres


class TestStack:
    """The running broker and database, and the power to crash or restart the broker."""

    def __init__(self) -> None:
        kafka_port = int(os.environ.get("KINLINK_TEST_KAFKA_PORT", "19092"))
        pg_port = int(os.environ.get("KINLINK_TEST_POSTGRES_PORT", "15433"))
        # Folder names carry the port so that two test runs on other ports never share data.
        self.kafka = LocalKafka(
            port=kafka_port, controller_port=kafka_port + 1, name=f"test-kafka-{kafka_port}"
        )
        self.postgres = LocalPostgres(port=pg_port, name=f"test-postgres-{pg_port}")
        self.external_kafka = os.environ.get("KINLINK_TEST_KAFKA_BOOTSTRAP")
        self.external_database = os.environ.get("KINLINK_TEST_DATABASE_URL")

    @property
    def bootstrap(self) -> str:
        return self.external_kafka or self.kafka.bootstrap

    @property
    def admin_url(self) -> str:
        return self.external_database or self.postgres.admin_url()

    def database_url(self, name: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def start(self) -> None:
        if self.external_kafka is None:
            self.kafka.wipe()
            self.kafka.start()
        if self.external_database is None:
            self.postgres.wipe()
            self.postgres.start()

    def stop(self) -> None:
        if self.external_kafka is None:
            self.kafka.stop()
        if self.external_database is None:
            self.postgres.stop()


@pytest.fixture(scope="session")
def stack() -> Iterator[TestStack]:
    test_stack = TestStack()
    test_stack.start()
    try:
        yield test_stack
    finally:
        test_stack.stop()


@pytest.fixture(scope="session")
def registry() -> SchemaRegistry:
    return SchemaRegistry.load()


SettingsFactory = Callable[[], Awaitable[CommonSettings]]


@pytest.fixture
async def settings_factory(stack: TestStack) -> AsyncIterator[SettingsFactory]:
    """Makes isolated worlds: fresh topics (unique prefix) and a fresh database each."""
    databases: list[str] = []

    async def make() -> CommonSettings:
        suffix = uuid.uuid4().hex[:10]
        prefix = f"t{suffix}."
        await ensure_topics(stack.bootstrap, load_topic_specs(), prefix=prefix)
        db_name = f"test_{suffix}"
        admin = await asyncpg.connect(stack.admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{db_name}"')
        finally:
            await admin.close()
        databases.append(db_name)
        admin_url = stack.database_url(db_name)
        await provision_database(admin_url)
        return CommonSettings(
            kafka_bootstrap=stack.bootstrap,
            # The tests' own look into the database (any schema) is as the superuser; the
            # services connect as their own roles and migrate as the owner, as deployed.
            database_url=admin_url,
            topic_prefix=prefix,
            database_migration_url=owner_url(admin_url),
            service_database_urls=tuple(service_urls(admin_url).items()),
        )

    yield make
    admin = await asyncpg.connect(stack.admin_url)
    try:
        for db_name in databases:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def settings(settings_factory: SettingsFactory) -> CommonSettings:
    """Fresh topics and a fresh database for one test."""
    return await settings_factory()


@pytest.fixture
async def pool(settings: CommonSettings) -> AsyncIterator[Any]:
    db_pool = await create_pool(settings.database_url, max_size=5)
    try:
        yield db_pool
    finally:
        await db_pool.close()
