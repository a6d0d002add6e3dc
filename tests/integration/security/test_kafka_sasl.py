"""Services reach Kafka over SASL_SSL with SCRAM-SHA-512, on a broker with ACLs (ports
29810-29811, see sasl_broker.py): topic creation (`kinlink up` on an external cluster and
`kinlink infra topics`), intake's relay, the correlator's consumer and relay and the outbox
recovery reader all work as the `kinlink` user with the ACLs `kinlink infra acls` grants; a
wrong password stops a client with an error naming the settings (and no password anywhere); a
plaintext client, a user without ACLs and a group outside the service's prefix are refused.
Run in the `tls` stage (`-m tls`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from click.testing import CliRunner

from services.common.catalog import ALERTS, MATCHES
from services.common.config import CommonSettings
from services.common.envelope import from_kafka
from services.common.kafka_access import KafkaCredentialsRefused
from services.common.outbox_recovery import already_published
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.common.topics import ensure_topics, load_topic_specs
from services.devstack.infra_cli import infra
from services.devstack.stack import Stack
from services.intake.app import create_app
from services.intake.config import IntakeSettings
from tests.integration.correlator.harness import start_correlator
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.security.sasl_broker import SaslBroker, make_sasl_broker

pytestmark = pytest.mark.tls
CONTROLLER_PORT, SASL_PORT = 29810, 29811


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SaslBroker]:
    kafka, broker = make_sasl_broker(tmp_path_factory.mktemp("sasl"), SASL_PORT, CONTROLLER_PORT)
    kafka.wipe()
    kafka.start()
    try:
        yield broker
    finally:
        kafka.wipe()


@pytest.fixture
async def as_kinlink(
    sasl_broker: SaslBroker, settings: CommonSettings
) -> AsyncIterator[CommonSettings]:
    """This test's settings as the `kinlink` user, with the ACLs for its topic prefix granted
    by `kinlink infra acls` connected as the admin."""
    env = sasl_broker.env("admin") | {"KINLINK_TOPIC_PREFIX": settings.topic_prefix}
    granted = await asyncio.to_thread(CliRunner().invoke, infra, ["acls", "User:kinlink"], env=env)
    assert granted.exit_code == 0, granted.output
    assert f"User:kinlink WRITE topic {settings.topic_prefix}kinlink.*" in granted.output
    yield replace(
        settings,
        kafka_bootstrap=sasl_broker.bootstrap,
        kafka_security=sasl_broker.security("kinlink"),
    )


async def _read(common: CommonSettings, topic: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        common.topic(topic),
        bootstrap_servers=common.kafka_bootstrap,
        auto_offset_reset="earliest",
        **common.kafka_client_options(),
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(90):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=500)
                records.extend(r for part in batch.values() for r in part)
    finally:
        await consumer.stop()
    return records


async def test_services_work_end_to_end_as_a_scram_user_with_acls(
    sasl_broker: SaslBroker,
    as_kinlink: CommonSettings,
    intake_settings: IntakeSettings,
    registry: SchemaRegistry,
    token: TokenFactory,
) -> None:
    common = as_kinlink
    env = sasl_broker.env("kinlink") | {
        "KINLINK_TOPIC_PREFIX": common.topic_prefix,
        "KINLINK_DATABASE_URL": common.database_url,  # external: `up` starts nothing local
    }
    # `kinlink up` against an external cluster creates the topics as the services connect...
    await asyncio.to_thread(Stack.from_env(env).start_infra)
    # ...and `kinlink infra topics` (compose) reaches the cluster the same way.
    listed = await asyncio.to_thread(CliRunner().invoke, infra, ["topics"], env=env)
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("exists") == len(load_topic_specs())

    correlator = await start_correlator(common)  # group kinlink-correlator: within its ACLs
    try:
        settings = replace(intake_settings, common=common)
        async with TestClient(TestServer(create_app(settings, registry))) as intake:
            alert = await intake.post(
                "/v1/alerts", json=bodies.alert(), headers=bearer(token("police"))
            )
            registration = await intake.post(
                "/v1/registrations",
                json=bodies.registration(),
                headers=bearer(token("reception_centre")),
            )
            assert (alert.status, registration.status) == (201, 201), await alert.text()
            alert_id = (await alert.json())["alert_id"]
            registration_id = (await registration.json())["registration_id"]
            proposed = from_kafka(*_parts((await _read(common, MATCHES, 1))[0]))
    finally:
        await correlator.stop()
    assert proposed.type == "org.kinlink.match.proposed.v1"
    assert proposed.data["alert_id"] == alert_id
    assert proposed.data["observation"]["id"] == registration_id

    # The relay's recovery reader finds published rows at the partition tail over SASL_SSL.
    db = await asyncpg.connect(common.database_url)
    try:
        rows = await db.fetch(
            "SELECT id, topic, event FROM intake.outbox WHERE topic = $1", common.topic(ALERTS)
        )
    finally:
        await db.close()
    rows = [dict(row) | {"event": json.loads(row["event"])} for row in rows]  # no codec here
    async with EventProducer(common, registry, client_id="test-recovery") as producer:
        found = await already_published(
            common.kafka_bootstrap, rows, producer.partitions_for, producer.client_options()
        )
    assert sorted(found) == sorted(row["id"] for row in rows) and found


def _parts(record: Any) -> tuple[Any, ...]:
    return record.key, record.value, record.headers


async def test_a_wrong_password_is_refused_naming_the_settings_and_never_the_password(
    sasl_broker: SaslBroker,
    as_kinlink: CommonSettings,
    intake_settings: IntakeSettings,
    registry: SchemaRegistry,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    wrong = "not-" + sasl_broker.passwords["kinlink"]
    common = replace(as_kinlink, kafka_security=sasl_broker.security("kinlink", wrong))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(KafkaCredentialsRefused) as refused:
        await ensure_topics(
            common.kafka_bootstrap,
            load_topic_specs(),
            common.topic_prefix,
            common.kafka_client_options(),
        )
    message = str(refused.value)
    assert "KINLINK_KAFKA_SASL_PASSWORD" in message and "'kinlink'" in message
    assert "invalid credentials" in message
    # intake does not start: its dead-letter producer meets the same refusal
    with pytest.raises(KafkaCredentialsRefused):
        async with TestClient(
            TestServer(create_app(replace(intake_settings, common=common), registry))
        ):
            pass
    printed = capfd.readouterr()
    for text in (message, repr(common), caplog.text, printed.out, printed.err):
        assert wrong not in text and sasl_broker.passwords["kinlink"] not in text


async def test_plaintext_strangers_and_foreign_groups_are_refused(
    sasl_broker: SaslBroker, as_kinlink: CommonSettings
) -> None:
    await ensure_topics(
        as_kinlink.kafka_bootstrap,
        load_topic_specs(),
        as_kinlink.topic_prefix,
        as_kinlink.kafka_client_options(),
    )
    alerts = as_kinlink.topic(ALERTS)

    plaintext = AIOKafkaProducer(bootstrap_servers=sasl_broker.bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaConnectionError):
        await plaintext.start()
    await plaintext.stop()

    # a valid password, but no ACL: it may not write (or read) the Kinlink topics
    outsider = AIOKafkaProducer(
        bootstrap_servers=sasl_broker.bootstrap,
        request_timeout_ms=5000,
        **sasl_broker.security("outsider").client_options(),
    )
    await outsider.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await outsider.send_and_wait(alerts, b"{}", key=b"k")
    finally:
        await outsider.stop()

    # the service user, in a consumer group that is not one of its own
    foreign = AIOKafkaConsumer(
        alerts,
        group_id="someone-elses-group",
        bootstrap_servers=sasl_broker.bootstrap,
        **as_kinlink.kafka_client_options(),
    )
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await foreign.start()
            async with asyncio.timeout(30):
                await foreign.getone()
    finally:
        await foreign.stop()
