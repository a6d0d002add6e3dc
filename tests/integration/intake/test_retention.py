"""Retention in intake on the real PostgreSQL, with the job's clock injected (no sleeping): the
review date per category, the warning before it, the issuer's extension with a reason (HTTP,
audited), expiry and erasure, the grace period after resolution, an observation an open alert
still needs, and a dry run that changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.common.audit_chain import verify
from services.common.auth import Caller, Principal
from services.common.catalog import MATCH_PROPOSED
from services.common.config import CommonSettings
from services.common.envelope import from_structured, new_event
from services.common.schema_registry import SchemaRegistry
from services.intake.config import SCHEMA
from services.intake.retention.job import RetentionJob, RetentionReport
from services.intake.retention.links import apply_match
from services.intake.retention.policy import RetentionPolicy
from services.intake.retention.postgres import PostgresRetentionStore
from services.intake.retention.review import ReviewHandlers
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.notifier.flow import eventually

POLICY = RetentionPolicy()
DAY = timedelta(days=1)
Run = Callable[..., Any]


@pytest.fixture
def store(pool: Any, registry: SchemaRegistry, settings: CommonSettings) -> PostgresRetentionStore:
    return PostgresRetentionStore(pool, registry, settings.topic)


@pytest.fixture
def run(store: PostgresRetentionStore) -> Run:
    async def at(moment: datetime, *, dry_run: bool = False) -> RetentionReport:
        return await RetentionJob(store, POLICY, clock=lambda: moment).run(dry_run=dry_run)

    return at


async def created(client: Any, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=bearer(token))
    assert response.status == 201, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def review(client: Any, alert_id: str, token: str) -> dict[str, Any]:
    response = await client.get(f"/v1/alerts/{alert_id}/review", headers=bearer(token))
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def events(pool: Any, ce_type: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(f'SELECT event FROM "{SCHEMA}".outbox ORDER BY id')
    return [e.data for e in (from_structured(r["event"]) for r in rows) if e.type == ce_type]


async def audit(pool: Any, record_id: str) -> list[tuple[str, str, str | None]]:
    rows = await pool.fetch(
        f'SELECT action, org_id, detail FROM "{SCHEMA}".audit_log WHERE record_id = $1'
        " ORDER BY id",
        record_id,
    )
    return [(r["action"], r["org_id"], r["detail"]) for r in rows]


async def outbox_drained(pool: Any) -> bool:
    unsent = await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".outbox WHERE sent_at IS NULL')
    return bool(unsent == 0)


def at_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_warning_extension_expiry_and_erasure_of_an_alert(
    client: Any,
    token: TokenFactory,
    pool: Any,
    run: Run,
    store: PostgresRetentionStore,
    registry: SchemaRegistry,
) -> None:
    police = token("police")
    # The clock runs five years on below; the database's own clock does not: the owner lowers
    # its floor under audit pruning (a year) so that the run may remove today's entries.
    await pool.execute(f"UPDATE \"{SCHEMA}\".audit_policy SET min_age = interval '0'")
    alert = await created(client, "/v1/alerts", bodies.alert(category="missing"), police)
    alert_id = alert["alert_id"]
    now = datetime.now(UTC)
    await run(now)
    state = await review(client, alert_id, police)
    due = at_time(state["review_due_at"])
    assert timedelta(days=1825) < due - now <= timedelta(days=1826)
    assert (state["warned"], state["extensions"]) == (False, 0)

    # Before the warning window nothing happens; inside it the issuer is warned, once.
    assert (await run(due - POLICY.warning - DAY)).warned == []
    assert (await run(due - POLICY.warning + DAY)).warned == [alert_id]
    assert (await run(due - DAY)).warned == []
    [warning] = await events(pool, "org.kinlink.alert.review_due.v1")
    assert warning["issuing_authority"]["id"] == "it-ps-imperia"
    assert warning["review_due_at"] == state["review_due_at"]
    assert (await review(client, alert_id, police))["warned"] is True

    # Ten days before the date the issuer extends with a reason: a new period from then,
    # audited with the reason (the use case behind POST /v1/alerts/{id}/extend, on the clock).
    extend_at = due - 10 * DAY
    reviews = ReviewHandlers(store, registry, POLICY, clock=lambda: extend_at)
    issuer = Caller(Principal("it-ps-imperia/officer-1", "it-ps-imperia", "police", "ITA"),
                    "req-extend")
    outcome = await reviews.extend(
        issuer, alert_id, {"reason": "Child still missing; new lead in Marseille."}, None
    )
    state = outcome.body
    new_due = at_time(state["review_due_at"])
    assert new_due == extend_at + 1826 * DAY
    assert (state["extensions"], state["warned"]) == (1, False)
    actions = await audit(pool, alert_id)
    assert actions[-1][0] == "alert.extend" and "new lead in Marseille" in (actions[-1][2] or "")
    assert (await run(due + DAY)).expired == []
    assert (await run(new_due - POLICY.warning)).warned == [alert_id]  # warned anew

    # Not extended again: it expires at the new date and its personal data is erased (once
    # the relay has published what the record's events said: those go out, in order, first).
    await eventually(lambda: outbox_drained(pool), timeout=60, what="the relay published")
    report = await run(new_due + timedelta(seconds=1))
    assert report.expired == [alert_id] and report.erased["alert"] == [alert_id]
    [resolved] = await events(pool, "org.kinlink.alert.resolved.v1")
    assert resolved["resolution"] == "expired"
    [erased] = await events(pool, "org.kinlink.alert.erased.v1")
    assert erased == {**erased, "alert_id": alert_id, "reason": "review_expired"}
    read = await client.get(f"/v1/alerts/{alert_id}", headers=bearer(police))
    view = await read.json()
    assert view["status"] == "resolved" and view["erased"] is True
    assert "child" not in view and "circumstances" not in view
    assert view["last_seen"] == {"at": "2025-04-12T18:30:00Z"}
    text = str(await pool.fetch(f'SELECT * FROM "{SCHEMA}".alerts'))
    text += str(await pool.fetch(f'SELECT * FROM "{SCHEMA}".outbox'))
    text += str(await pool.fetch(f'SELECT * FROM "{SCHEMA}".idempotency_keys'))
    text += str(await pool.fetch(f'SELECT * FROM "{SCHEMA}".alert_history'))
    assert "Haidari" not in text and "Ventimiglia" not in text
    # The clock is five years on: the run also removed the audit entries past their three
    # years, behind a checkpoint, and the chain still verifies.
    assert report.audit_entries_removed > 0
    async with pool.acquire() as conn:
        chain = await verify(conn, SCHEMA)
    assert chain.intact and chain.start_after > 0
    # Erased once: a later run finds nothing more to do.
    later = await run(new_due + 10 * DAY)
    assert later.erased["alert"] == [] and later.expired == []


async def test_only_the_issuer_extends_and_only_an_active_alert(
    client: Any, token: TokenFactory
) -> None:
    police = token("police")
    alert_id = (await created(client, "/v1/alerts", bodies.alert(), police))["alert_id"]
    reason = {"reason": "Still missing."}
    other = token("police", "fr-pj-nice")
    refused = await client.post(f"/v1/alerts/{alert_id}/extend", json=reason,
                                headers=bearer(other))
    assert refused.status == 403
    ngo = await client.post(f"/v1/alerts/{alert_id}/extend", json=reason,
                            headers=bearer(token("ngo")))
    assert ngo.status == 403
    no_reason = await client.post(f"/v1/alerts/{alert_id}/extend", json={},
                                  headers=bearer(police))
    assert no_reason.status == 422
    before = datetime.now(UTC)
    extended = await client.post(f"/v1/alerts/{alert_id}/extend", json=reason,
                                 headers=bearer(police))
    assert extended.status == 200, await extended.text()
    body = await extended.json()
    assert body["extensions"] == 1
    assert at_time(body["review_due_at"]) >= before + 1826 * DAY
    await client.post(f"/v1/alerts/{alert_id}/resolve", json={"resolution": "found"},
                      headers=bearer(police))
    late = await client.post(f"/v1/alerts/{alert_id}/extend", json=reason,
                             headers=bearer(police))
    assert late.status == 409


async def test_a_preventive_alert_is_reviewed_after_a_year(
    client: Any, token: TokenFactory, run: Run
) -> None:
    police = token("police")
    body = bodies.alert(category="abduction_risk", case_type="parental_abduction")
    alert_id = (await created(client, "/v1/alerts", body, police))["alert_id"]
    now = datetime.now(UTC)
    await run(now)
    due = at_time((await review(client, alert_id, police))["review_due_at"])
    assert timedelta(days=364) < due - now <= timedelta(days=365)
    assert (await run(due + DAY)).expired == [alert_id]


async def test_an_ended_alert_is_erased_after_the_grace_period(
    client: Any, token: TokenFactory, pool: Any, run: Run
) -> None:
    police = token("police")
    alert_id = (await created(client, "/v1/alerts", bodies.alert(), police))["alert_id"]
    resolved = await client.post(
        f"/v1/alerts/{alert_id}/resolve",
        json={"resolution": "withdrawn", "note": "Issued in error for Samir."},
        headers=bearer(police),
    )
    assert resolved.status == 200
    ended = datetime.now(UTC)
    assert (await run(ended + POLICY.after_end - DAY)).erased["alert"] == []
    report = await run(ended + POLICY.after_end + DAY)
    assert report.erased["alert"] == [alert_id] and report.expired == []
    [erased] = await events(pool, "org.kinlink.alert.erased.v1")
    assert erased["reason"] == "alert_ended"
    row = await pool.fetchrow(f'SELECT resolution FROM "{SCHEMA}".alerts WHERE id = $1',
                              alert_id)
    assert row["resolution"]["resolution"] == "withdrawn" and "note" not in row["resolution"]
    [(action, org, detail)] = [a for a in await audit(pool, alert_id) if a[0] == "alert.erase"]
    assert (org, detail) == ("kinlink", '{"reason":"alert_ended"}')


async def test_an_observation_an_open_alert_needs_is_kept_until_the_alert_is_erased(
    client: Any, token: TokenFactory, pool: Any, run: Run, store: PostgresRetentionStore
) -> None:
    police, centre = token("police"), token("reception_centre")
    alert_id = (await created(client, "/v1/alerts", bodies.alert(category="missing"),
                              police))["alert_id"]
    needed = (await created(client, "/v1/registrations", bodies.registration(),
                            centre))["registration_id"]
    lonely = (await created(client, "/v1/sightings", bodies.sighting(),
                            token("ngo")))["sighting_id"]
    match = new_event(MATCH_PROPOSED, "/correlator", "0299469f-0f35-5534-a2e7-19faa6309e7b", {
        "match_id": "0299469f-0f35-5534-a2e7-19faa6309e7b", "revision": 1, "alert_id": alert_id,
        "observation": {"type": "registration", "id": needed}, "score": 0.9,
        "explanation": [], "engine_version": "test",
    })
    async with store.transaction() as tx:
        await apply_match(match, tx)  # as the links consumer does

    now = datetime.now(UTC)
    dry = await run(now + 400 * DAY, dry_run=True)
    assert dry.erased == {"alert": [], "registration": [], "sighting": [lonely]}
    assert await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".sightings'
                               " WHERE erased_at IS NOT NULL") == 0
    report = await run(now + 400 * DAY)
    assert report.erased == {"alert": [], "registration": [], "sighting": [lonely]}
    [erased] = await events(pool, "org.kinlink.sighting.erased.v1")
    assert erased == {**erased, "sighting_id": lonely, "reason": "retention_elapsed"}
    registration = await client.get(f"/v1/registrations/{needed}", headers=bearer(centre))
    assert (await registration.json())["child"]["family_name"] == "Haydari"

    # The alert expires and is erased; the registration it needed goes with it.
    report = await run(now + 1900 * DAY)
    assert report.erased["alert"] == [alert_id] and report.erased["registration"] == [needed]
    registration = await client.get(f"/v1/registrations/{needed}", headers=bearer(centre))
    assert set(await registration.json()) == {
        "registration_id", "centre", "registered_at", "erased", "created_at"
    }
    reasons = {e["registration_id"]: e["reason"]
               for e in await events(pool, "org.kinlink.registration.erased.v1")}
    assert reasons == {needed: "linked_alert_erased"}
