"""Data protection through all three services on the real Kafka and PostgreSQL: a match is
proposed and notified; a data-protection officer exports everything Kinlink holds about the
registration; the retention job (on an injected clock) warns the issuing police unit through the
notifier, then expires the alert and erases it and the registration it needed; the erasure
reaches the correlator's and the notifier's stores, and every audit chain still verifies."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.common.audit_chain import verify
from services.common.auth import Caller, Principal
from services.common.config import CommonSettings
from services.common.db import create_pool
from services.common.errors import NotAllowed
from services.common.schema_registry import SchemaRegistry
from services.dataprotection.subject_access import Databases, export
from services.intake.retention.job import RetentionJob
from services.intake.retention.policy import RetentionPolicy
from services.intake.retention.postgres import PostgresRetentionStore
from tests.integration.correlator.harness import RunningCorrelator, start_correlator
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.notifier.conftest import (  # noqa: F401  (fixtures)
    clock,
    notifier_settings,
    start_notifier,
)
from tests.integration.notifier.flow import eventually, poll_until

POLICY = RetentionPolicy()
NAMES = ("Samir", "Haidari", "Samier", "Haydari", "Ventimiglia", "Roja")


@pytest.fixture
async def correlator(settings: CommonSettings) -> AsyncIterator[RunningCorrelator]:
    running = await start_correlator(settings)
    yield running
    await running.stop()


@pytest.fixture
async def db(settings: CommonSettings) -> AsyncIterator[Any]:
    conn = await asyncpg.connect(settings.database_url)
    yield conn
    await conn.close()


def caller(org: str, kind: str, *roles: str) -> Caller:
    return Caller(Principal(f"{org}/officer", org, kind, "BEL", frozenset(roles)),
                  f"req-{uuid.uuid4()}")


async def test_export_warning_expiry_and_erasure_across_services(
    intake: Any,
    correlator: RunningCorrelator,
    start_notifier: Any,  # noqa: F811
    token: TokenFactory,
    settings: CommonSettings,
    registry: SchemaRegistry,
    db: Any,
) -> None:
    notifier = await start_notifier(intake_url=str(intake.make_url("")).rstrip("/"))
    police, investigator = token("police"), token("investigator")
    subscribed = await notifier.post("/v1/subscriptions", json={"name": "all"},
                                     headers=bearer(investigator))
    assert subscribed.status == 201
    alert = await intake.post("/v1/alerts", json=bodies.alert(category="missing"),
                              headers=bearer(police))
    registration = await intake.post("/v1/registrations", json=bodies.registration(),
                                     headers=bearer(token("reception_centre")))
    alert_id = (await alert.json())["alert_id"]
    registration_id = (await registration.json())["registration_id"]
    [proposal] = await poll_until(notifier, investigator, 1, timeout=60)
    match_id = proposal["match"]["match_id"]

    async def linked() -> bool:  # intake learnt the link from the correlator's proposal
        return bool(await db.fetchval(
            "SELECT count(*) FROM intake.observation_links WHERE obs_id = $1", registration_id
        ))

    await eventually(linked, timeout=60, what="intake recorded the match link")

    # Subject access: refused to an organisation that does not hold the record, given to a DPO.
    urls = Databases(settings.database_url, settings.database_url, settings.database_url)
    with pytest.raises(NotAllowed):
        await export(urls, caller("it-ps-imperia", "police"), registration_id, POLICY, registry)
    dpo = caller("eu-dpo", "auditor", "dpo")
    document = await export(urls, dpo, registration_id, POLICY, registry)
    assert document["record"] == {"type": "registration", "id": registration_id}
    assert document["intake"]["record"]["child"]["family_name"] == "Haydari"
    assert [m["match_id"] for m in document["correlator"]["matches"]] == [match_id]
    assert document["correlator"]["record"]["data"]["registration_id"] == registration_id
    assert {n["match_id"] for n in document["notifier"]["notifications"]} == {match_id}
    assert [link["alert_id"] for link in document["intake"]["links"]] == [alert_id]
    assert [e["action"] for e in document["intake"]["audit"]] == [
        "registration.create", "subject_access.export"
    ]
    [recorded] = document["intake"]["events"]
    assert recorded["event"]["type"] == "org.kinlink.registration.recorded.v1"
    json.dumps(document)  # one JSON document

    # The review date nears: the police unit that issued the alert is warned by the notifier.
    pool = await create_pool(settings.database_url, max_size=2)
    store = PostgresRetentionStore(pool, registry, settings.topic)
    now = datetime.now(UTC)
    due = now + timedelta(days=1826)
    try:
        warned = await RetentionJob(store, POLICY, clock=lambda: due - timedelta(days=30)).run()
        assert warned.warned == [alert_id]
        told = await poll_until(notifier, police, 2, timeout=60)
        [warning] = [n for n in told if n["kind"] == "alert.review_due"]
        assert warning["alert"]["alert_id"] == alert_id
        assert warning["alert"]["issuing_authority"]["id"] == "it-ps-imperia"

        # Nobody extends it: it expires, and it and the registration it needed are erased.
        erased = await RetentionJob(store, POLICY, clock=lambda: due + timedelta(days=1)).run()
    finally:
        await pool.close()
    assert erased.expired == [alert_id]
    assert erased.erased["alert"] == [alert_id]
    assert erased.erased["registration"] == [registration_id]

    async def applied_everywhere() -> bool:
        return bool(await db.fetchval(
            "SELECT (SELECT count(*) FROM correlator.alerts WHERE erased_at IS NOT NULL)"
            " + (SELECT count(*) FROM correlator.observations WHERE erased_at IS NOT NULL)"
            " + (SELECT count(*) FROM notifier.alert_context WHERE erased_at IS NOT NULL)"
            " + (SELECT count(*) FROM notifier.observation_context WHERE erased_at IS NOT NULL)"
        ) == 4)

    await eventually(applied_everywhere, timeout=90, what="every service applied the erasures")
    kept = ""
    for table in ("correlator.alerts", "correlator.observations", "correlator.matches",
                  "notifier.alert_context", "notifier.observation_context", "notifier.matches",
                  "notifier.notifications", "intake.alerts", "intake.registrations"):
        kept += str([dict(r) for r in await db.fetch(f"SELECT * FROM {table}")])
    for name in NAMES:
        assert name not in kept, name
    explanation = await db.fetchval(
        "SELECT explanation FROM correlator.matches WHERE match_id = $1", match_id
    )
    assert explanation and all("detail" not in item for item in json.loads(explanation))
    for schema in ("correlator", "notifier"):
        actions = await db.fetch(
            f"SELECT action, record_id FROM {schema}.audit_log WHERE action LIKE '%.erase'"
            " ORDER BY action"
        )
        assert [(r["action"], r["record_id"]) for r in actions] == [
            ("alert.erase", alert_id), ("registration.erase", registration_id)
        ], schema
    for schema in ("intake", "correlator", "notifier"):
        assert (await verify(db, schema)).intact, schema
