"""Accepted means durable: events reach Kafka exactly as accepted, even across broker outages
and relay crashes (consumers dedupe by event id)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.common.catalog import ALERTS, REGISTRATIONS, SIGHTINGS
from services.common.envelope import CloudEvent, from_kafka
from services.common.outbox import OutboxRelay
from services.common.outbox_backlog import backlog
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.intake.app import create_app
from services.intake.config import SCHEMA, IntakeSettings
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.kafka_helpers import read_topic


def _events(records: Sequence[Any]) -> list[CloudEvent]:
    return [from_kafka(r.key, r.value, r.headers) for r in records]


async def test_each_door_emits_its_cloudevent(
    client: Any, token: TokenFactory, intake_settings: IntakeSettings, registry: SchemaRegistry
) -> None:
    doors = [
        (
            "/v1/alerts",
            "police",
            bodies.alert(),
            ALERTS,
            "org.kinlink.alert.published.v1",
            "alert_id",
        ),
        (
            "/v1/registrations",
            "reception_centre",
            bodies.registration(),
            REGISTRATIONS,
            "org.kinlink.registration.recorded.v1",
            "registration_id",
        ),
        (
            "/v1/sightings",
            "ngo",
            bodies.sighting(),
            SIGHTINGS,
            "org.kinlink.sighting.reported.v1",
            "sighting_id",
        ),
    ]
    common = intake_settings.common
    for path, kind, body, topic, ce_type, id_field in doors:
        response = await client.post(path, json=body, headers=bearer(token(kind)))
        assert response.status == 201
        created = await response.json()
        record_id = created[id_field]
        assert response.headers["Location"] == f"{path}/{record_id}"
        [record] = await read_topic(common.kafka_bootstrap, common.topic(topic), expected=1)
        [event] = _events([record])
        assert record.key == record_id.encode()
        assert (event.type, event.subject) == (ce_type, record_id)
        assert event.source.startswith("/kinlink/intake/")
        assert event.dataschema == registry.schema_id_for(ce_type)
        registry.check_data(ce_type, event.data)
        assert event.data["child"] == body["child"]


async def test_requests_succeed_with_kafka_down_and_events_flow_after(
    client: Any, token: TokenFactory, intake_settings: IntakeSettings, stack: Any, pool: Any
) -> None:
    if stack.external_kafka:
        pytest.skip("cannot stop an external broker")
    police = bearer(token("police"))
    expected: dict[str, list[str]] = {}
    stack.kafka.stop()
    try:
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["kafka"] == "down"
        for _ in range(3):
            created = await client.post("/v1/alerts", json=bodies.alert(), headers=police)
            assert created.status == 201
            location = created.headers["Location"]
            alert_id = location.rsplit("/", 1)[1]
            for level in ("medium", "critical"):
                patched = await client.patch(location, json={"risk_level": level}, headers=police)
                assert patched.status == 200
            expected[alert_id] = ["published", "medium", "critical"]
        async with pool.acquire() as conn:
            assert await backlog(conn, SCHEMA) == 9
        metrics = await (await client.get("/metrics")).text()
        assert 'kinlink_outbox_backlog{schema="intake"} 9.0' in metrics
    finally:
        stack.kafka.start()
    common = intake_settings.common
    records = await read_topic(common.kafka_bootstrap, common.topic(ALERTS), expected=9, timeout=90)
    events = _events(records)
    assert len(events) == 9 and len({e.id for e in events}) == 9
    for alert_id, steps in expected.items():
        mine = [e for e in events if e.subject == alert_id]
        seen = [
            "published" if e.type.endswith("published.v1") else e.data["changes"]["risk_level"]
            for e in mine
        ]
        assert seen == steps
    # Readiness follows the broker once the producer has reconnected, which may lag the
    # delivery of the backlog on a loaded machine: wait for it rather than sample it once.
    deadline = asyncio.get_running_loop().time() + 60
    while (ready := await client.get("/readyz")).status != 200:
        assert asyncio.get_running_loop().time() < deadline, await ready.text()
        await asyncio.sleep(0.5)


class _CrashAfterSend(EventProducer):
    """Publishes a batch, then dies before the relay can mark it sent (a kill -9 mid-batch)."""

    async def send_many(
        self, events: Sequence[tuple[CloudEvent, str | None]], *, validate: bool = True
    ) -> list[Any]:
        await super().send_many(events, validate=validate)
        raise RuntimeError("relay killed after sending, before marking")


async def test_relay_killed_mid_batch_sends_nothing_twice(
    intake_settings: IntakeSettings, registry: SchemaRegistry, token: TokenFactory, pool: Any
) -> None:
    quiet = dataclasses.replace(intake_settings, run_relay=False)
    accepted: list[str] = []
    async with TestClient(TestServer(create_app(quiet, registry))) as client:
        for _ in range(6):
            response = await client.post(
                "/v1/sightings", json=bodies.sighting(), headers=bearer(token("hotline"))
            )
            assert response.status == 201
            accepted.append((await response.json())["sighting_id"])
    common = intake_settings.common
    async with _CrashAfterSend(common, registry, client_id="crashing-relay") as crashing:
        relay = OutboxRelay(pool, SCHEMA, crashing, batch_size=4)
        with pytest.raises(RuntimeError):
            await relay.run()
    async with EventProducer(common, registry, client_id="restarted-relay") as producer:
        relay = OutboxRelay(pool, SCHEMA, producer, batch_size=4, poll_interval=0.2)
        task = asyncio.create_task(relay.run())
        records = await read_topic(common.kafka_bootstrap, common.topic(SIGHTINGS), expected=6)
        relay.stop()
        await asyncio.wait_for(task, 30)
    events = _events(records)
    # the restarted relay finds the first batch of 4 in Kafka already: each event once
    assert len(events) == 6
    assert len({e.id for e in events}) == 6
    assert sorted({e.subject for e in events if e.subject}) == sorted(accepted)
    async with pool.acquire() as conn:
        assert await backlog(conn, SCHEMA) == 0


async def test_an_invalid_event_never_enters_the_outbox(
    client: Any, pool: Any, intake_settings: IntakeSettings, registry: SchemaRegistry
) -> None:
    # `client` starts the app, which applies intake's migrations.
    from services.common.envelope import new_event
    from services.common.outbox import enqueue
    from services.common.schema_registry import EventValidationError

    poisoned = new_event("org.kinlink.sighting.reported.v1", "/kinlink/test", "x", {"bad": 1})
    async with pool.acquire() as conn:
        with pytest.raises(EventValidationError):
            async with conn.transaction():
                topic = intake_settings.common.topic(SIGHTINGS)
                await enqueue(conn, SCHEMA, poisoned, topic, registry=registry)
        assert await backlog(conn, SCHEMA) == 0


async def test_a_crashed_relay_makes_the_service_unready(
    client: Any, pool: Any, intake_settings: IntakeSettings
) -> None:
    # A row the relay cannot even read can only come from a bug (or a hand edit of the
    # table); the relay must stop loudly rather than skip it.
    async with pool.acquire() as conn:
        await conn.execute(
            f'INSERT INTO "{SCHEMA}".outbox (topic, event_key, event_id, event)'
            " VALUES ($1, 'x', gen_random_uuid(), $2)",
            intake_settings.common.topic(SIGHTINGS),
            {"not": "a cloudevent"},
        )
    for _ in range(50):
        ready = await client.get("/readyz")
        if ready.status == 503:
            break
        await asyncio.sleep(0.1)
    assert ready.status == 503
    assert (await ready.json())["checks"]["outbox_relay"] == "down"
