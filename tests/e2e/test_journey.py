"""A child's journey through the three doors: alert, registration, sighting, each on Kafka."""

from __future__ import annotations

from typing import Any

from services.common.catalog import ALERTS, REGISTRATIONS, SIGHTINGS
from services.common.config import CommonSettings
from services.common.envelope import from_kafka
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.kafka_helpers import read_topic


async def test_alert_registration_and_sighting_reach_their_topics(
    intake: Any, token: TokenFactory, settings: CommonSettings
) -> None:
    alert = await intake.post("/v1/alerts", json=bodies.alert(), headers=bearer(token("police")))
    registration = await intake.post(
        "/v1/registrations",
        json=bodies.registration(),
        headers=bearer(token("reception_centre")),
    )
    sighting = await intake.post(
        "/v1/sightings", json=bodies.sighting(), headers=bearer(token("hotline"))
    )
    assert [alert.status, registration.status, sighting.status] == [201, 201, 201]
    ids = {
        ALERTS: ("org.kinlink.alert.published.v1", (await alert.json())["alert_id"]),
        REGISTRATIONS: (
            "org.kinlink.registration.recorded.v1",
            (await registration.json())["registration_id"],
        ),
        SIGHTINGS: ("org.kinlink.sighting.reported.v1", (await sighting.json())["sighting_id"]),
    }
    for topic, (ce_type, record_id) in ids.items():
        records = await read_topic(settings.kafka_bootstrap, settings.topic(topic), expected=1)
        events = [from_kafka(r.key, r.value, r.headers) for r in records]
        assert [(e.type, e.subject) for e in events] == [(ce_type, record_id)]
