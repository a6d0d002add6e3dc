"""The investigator's journey through all three services on the real Kafka and PostgreSQL:
a police unit's alert and a centre's registration go in through intake, the correlator proposes
the match, the notifier tells the issuing unit and the subscribed investigator (without the
child's name or birth date), the investigator reads the details through the audited door and
rejects the match, and the correlator never proposes the rejected pair again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.common.catalog import MATCHES
from services.common.config import CommonSettings
from services.common.envelope import from_kafka
from tests.integration.correlator.harness import RunningCorrelator, start_correlator
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.kafka_helpers import read_topic
from tests.integration.notifier.conftest import (  # noqa: F401  (fixtures)
    clock,
    notifier_settings,
    start_notifier,
)
from tests.integration.notifier.flow import eventually, poll_until


@pytest.fixture
async def correlator(settings: CommonSettings) -> AsyncIterator[RunningCorrelator]:
    running = await start_correlator(settings)
    yield running
    await running.stop()


async def test_proposal_notification_review_and_no_second_proposal(
    intake: Any,
    correlator: RunningCorrelator,
    start_notifier: Any,  # noqa: F811
    token: TokenFactory,
    settings: CommonSettings,
) -> None:
    notifier = await start_notifier(intake_url=str(intake.make_url("")).rstrip("/"))
    investigator = token("investigator")
    subscribed = await notifier.post(
        "/v1/subscriptions", json={"name": "all matches"}, headers=bearer(investigator)
    )
    assert subscribed.status == 201
    police = token("police")
    alert = await intake.post("/v1/alerts", json=bodies.alert(), headers=bearer(police))
    registration = await intake.post(
        "/v1/registrations", json=bodies.registration(), headers=bearer(token("reception_centre"))
    )
    alert_id = (await alert.json())["alert_id"]
    registration_id = (await registration.json())["registration_id"]

    [told_unit] = await poll_until(notifier, police, 1, timeout=60)
    [told_investigator] = await poll_until(notifier, investigator, 1, timeout=60)
    for note in (told_unit, told_investigator):
        assert note["alert"]["alert_id"] == alert_id
        assert note["observation"] == {
            **note["observation"],
            "type": "registration",
            "id": registration_id,
        }
        text = json.dumps(note)
        for value in ("Samir", "Haidari", "Samier", "Haydari"):
            assert value not in text

    # the details come from intake, with the investigator's own token (and intake audits it)
    detail = await notifier.get(
        f"/v1/intake/registrations/{registration_id}", headers=bearer(investigator)
    )
    assert detail.status == 200
    assert (await detail.json())["child"]["given_names"] == "Samier"
    audit = await intake.get(
        f"/v1/audit?record_id={registration_id}&action=registration.read",
        headers=bearer(token("auditor")),
    )
    assert [e["org_id"] for e in (await audit.json())["items"]] == ["eu-investigations"]

    match_id = told_investigator["match"]["match_id"]
    rejected = await notifier.post(
        f"/v1/matches/{match_id}/review",
        json={"decision": "rejected", "note": "Different father."},
        headers=bearer(investigator),
    )
    assert rejected.status == 201

    # An update that would rescore the pair: the correlator must not propose it again.
    async def review_applied() -> bool:
        query = "SELECT review FROM correlator.matches WHERE match_id = $1"
        return await _correlator_value(settings, query, match_id) == "rejected"

    await eventually(review_applied, timeout=60, what="the correlator applied the rejection")
    patched = await intake.patch(
        f"/v1/alerts/{alert_id}",
        json={"child": bodies.child(given_names="Samier", family_name="Haydari")},
        headers=bearer(police),
    )
    assert patched.status == 200

    async def update_applied() -> bool:
        return (
            await _correlator_value(
                settings,
                "SELECT count(*) FROM correlator.alerts a WHERE a.alert_id = $1"
                " AND a.data->'child'->>'given_names' = 'Samier' AND NOT EXISTS"
                " (SELECT 1 FROM correlator.outbox WHERE sent_at IS NULL)",
                alert_id,
            )
            == "1"
        )

    await eventually(update_applied, timeout=60, what="the correlator applied the update")
    records = await read_topic(settings.kafka_bootstrap, settings.topic(MATCHES), expected=1)
    proposals = [from_kafka(r.key, r.value, r.headers) for r in records]
    assert [(p.subject, p.data["revision"]) for p in proposals] == [(match_id, 1)]


async def _correlator_value(settings: CommonSettings, query: str, arg: str) -> str | None:
    import asyncpg

    conn = await asyncpg.connect(settings.database_url)
    try:
        value = await conn.fetchval(query, arg)
    finally:
        await conn.close()
    return str(value) if value is not None else None
