"""Services reach Kafka over TLS: a separate broker (ports 26092-26094) with a TLS listener whose
certificate comes from a throwaway CA (PEM keystore); intake accepts a sighting, its relay
publishes it over TLS and it is read back over TLS; a client that does not trust the CA, or
that speaks plaintext to the TLS port, gets nothing. Run as its own stage with `-m tls`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from aiokafka.helpers import create_ssl_context

from services.common.catalog import SIGHTINGS
from services.common.config import CommonSettings, KafkaSecurity
from services.common.schema_registry import SchemaRegistry
from services.common.topics import ensure_topics, load_topic_specs
from services.devstack.kafka import LocalKafka
from services.intake.app import create_app
from services.intake.config import IntakeSettings
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.security.certificates import Certificates, make_certificates

pytestmark = pytest.mark.tls
PLAIN_PORT, CONTROLLER_PORT, TLS_PORT = 26092, 26093, 26094
TLS_BOOTSTRAP = f"127.0.0.1:{TLS_PORT}"


def _tls_broker(certs: Certificates) -> LocalKafka:
    plain, tls = f"127.0.0.1:{PLAIN_PORT}", f"127.0.0.1:{TLS_PORT}"
    return LocalKafka(
        port=PLAIN_PORT,
        controller_port=CONTROLLER_PORT,
        name=f"test-kafka-tls-{TLS_PORT}",
        extra_properties=(
            (
                "listeners",
                f"PLAINTEXT://{plain},SSL://{tls},CONTROLLER://127.0.0.1:{CONTROLLER_PORT}",
            ),
            ("advertised.listeners", f"PLAINTEXT://{plain},SSL://{tls}"),
            ("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT"),
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.certificate.chain", certs.server_cert_pem),
            ("ssl.keystore.key", certs.server_key_pem),
            ("ssl.client.auth", "none"),
        ),
    )


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalKafka, Path]]:
    certs = make_certificates(tmp_path_factory.mktemp("tls"))
    broker = _tls_broker(certs)
    broker.wipe()
    broker.start()
    try:
        yield broker, certs.ca_file
    finally:
        broker.wipe()


async def _read_one(topic: str, options: dict[str, Any]) -> Any:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=TLS_BOOTSTRAP, auto_offset_reset="earliest", **options
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            return await consumer.getone()
    finally:
        await consumer.stop()


async def test_intake_publishes_over_tls_and_clients_without_the_ca_are_refused(
    tls_broker: tuple[LocalKafka, Path],
    intake_settings: IntakeSettings,
    registry: SchemaRegistry,
    token: TokenFactory,
) -> None:
    _, ca_file = tls_broker
    common: CommonSettings = replace(
        intake_settings.common,
        kafka_bootstrap=TLS_BOOTSTRAP,
        kafka_security=KafkaSecurity(protocol="SSL", cafile=str(ca_file)),
    )
    options = common.kafka_client_options()
    await ensure_topics(TLS_BOOTSTRAP, load_topic_specs(), common.topic_prefix, options)
    settings = replace(intake_settings, common=common)
    async with TestClient(TestServer(create_app(settings, registry))) as client:
        created = await client.post(
            "/v1/sightings", json=bodies.sighting(), headers=bearer(token("hotline"))
        )
        assert created.status == 201, await created.text()
        sighting_id = (await created.json())["sighting_id"]
        record = await _read_one(common.topic(SIGHTINGS), options)
    assert record.key.decode() == sighting_id

    untrusting = AIOKafkaProducer(
        bootstrap_servers=TLS_BOOTSTRAP,
        security_protocol="SSL",
        ssl_context=create_ssl_context(),  # the system's CAs, not ours
        request_timeout_ms=5000,
    )
    with pytest.raises(KafkaConnectionError):
        await untrusting.start()
    await untrusting.stop()
    plaintext = AIOKafkaProducer(bootstrap_servers=TLS_BOOTSTRAP, request_timeout_ms=5000)
    with pytest.raises(KafkaConnectionError):
        await plaintext.start()
    await plaintext.stop()
