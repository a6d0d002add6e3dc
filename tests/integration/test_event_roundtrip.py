"""An event produced by the core producer is consumed with every CloudEvents attribute intact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.catalog import ALERTS
from services.common.config import CommonSettings
from services.common.envelope import from_kafka, new_event
from services.common.producer import EventProducer
from services.common.schema_registry import EventValidationError, SchemaRegistry
from tests.examples import example_data
from tests.integration.kafka_helpers import read_topic

ALERT = "org.kinlink.alert.published.v1"


async def test_attributes_survive_the_broker(
    settings: CommonSettings, registry: SchemaRegistry
) -> None:
    data = example_data(ALERT)
    sent = new_event(
        ALERT,
        "/kinlink/test/police-it-001",
        data["alert_id"],
        data,
        time=datetime(2026, 3, 3, 18, 30, 5, 123000, tzinfo=UTC),
        extensions={"correlationid": "req-42"},
    )
    async with EventProducer(settings, registry, client_id="test") as producer:
        await producer.send(sent)

    records = await read_topic(settings.kafka_bootstrap, settings.topic(ALERTS), expected=1)
    assert len(records) == 1
    record = records[0]
    assert record.key == data["alert_id"].encode()
    header_names = {name for name, _ in record.headers}
    assert {
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
    } <= header_names
    received = from_kafka(record.key, record.value, record.headers)
    assert received == sent


async def test_producer_refuses_an_invalid_event(
    settings: CommonSettings, registry: SchemaRegistry
) -> None:
    data = dict(example_data(ALERT))
    data["category"] = "lost_luggage"
    async with EventProducer(settings, registry, client_id="test") as producer:
        with pytest.raises(EventValidationError) as caught:
            await producer.send(new_event(ALERT, "/kinlink/test", data["alert_id"], data))
    assert any(p.pointer == "/category" for p in caught.value.problems)
    assert (
        await read_topic(settings.kafka_bootstrap, settings.topic(ALERTS), expected=0, timeout=2)
        == []
    )
