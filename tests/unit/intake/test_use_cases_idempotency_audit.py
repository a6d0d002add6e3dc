"""Retries under an Idempotency-Key replay the first outcome; every write and every read of a
child's record leaves an audit entry, readable by auditors only."""

from __future__ import annotations

import pytest

from services.common.errors import Conflict, InvalidInput, InvalidQuery, NotAllowed
from services.common.outcomes import Effect
from services.intake.handlers import IntakeHandlers
from services.intake.repository import AuditQuery
from tests.integration.intake import bodies
from tests.unit.intake.callers import actions, audit_log, caller, keyed
from tests.unit.intake.fakes import InMemoryIntakeRepository

SIGHTINGS = "POST /v1/sightings"


async def test_a_retry_with_the_same_key_and_body_replays_the_first_outcome(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    hotline, body = caller("hotline"), bodies.sighting()
    first = await intake.report_sighting(hotline, body, keyed("report-0042", body, SIGHTINGS))
    again = await intake.report_sighting(hotline, body, keyed("report-0042", body, SIGHTINGS))
    assert again == first and again.effect is Effect.CREATED
    assert len(repo.tables.records["sighting"]) == 1
    assert len(repo.emitted) == 1 and len(await audit_log(repo)) == 1


async def test_the_same_key_with_another_body_is_refused(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    hotline, body = caller("hotline"), bodies.sighting()
    await intake.report_sighting(hotline, body, keyed("report-0042", body, SIGHTINGS))
    other = bodies.sighting(confidence="high")
    with pytest.raises(InvalidInput) as refused:
        await intake.report_sighting(hotline, other, keyed("report-0042", other, SIGHTINGS))
    assert refused.value.code == "idempotency-key-reused"
    assert len(repo.tables.records["sighting"]) == 1 and len(repo.emitted) == 1


async def test_keys_belong_to_one_organisation(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    body = bodies.sighting()
    key = keyed("report-0042", body, SIGHTINGS)
    hotline = await intake.report_sighting(caller("hotline"), body, key)
    ngo = await intake.report_sighting(caller("ngo"), body, key)
    assert hotline.record is not None and ngo.record is not None
    assert hotline.record.record_id != ngo.record.record_id
    assert len(repo.emitted) == 2


async def test_a_keyed_update_is_applied_once_and_replayed_after_later_changes(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    police = caller("police")
    created = await intake.publish_alert(police, bodies.alert(), None)
    assert created.record is not None
    alert_id, change = created.record.record_id, {"risk_level": "low"}
    key = keyed("patch-1", change, f"PATCH /v1/alerts/{alert_id}")
    first = await intake.update_alert(police, alert_id, change, key)
    await intake.update_alert(police, alert_id, {"risk_level": "medium"}, None)
    replayed = await intake.update_alert(police, alert_id, change, key)
    assert replayed == first and replayed.effect is Effect.CHANGED
    assert replayed.body["risk_level"] == "low"  # the first answer, as it was
    assert [e.data["changes"] for e in repo.emitted[1:]] == [change, {"risk_level": "medium"}]
    current = await intake.read(police, "alert", alert_id)
    assert current.body["risk_level"] == "medium"


async def test_a_refused_request_does_not_use_up_its_key(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    police = caller("police")
    created = await intake.publish_alert(police, bodies.alert(), None)
    assert created.record is not None
    alert_id = created.record.record_id
    await intake.resolve_alert(police, alert_id, {"resolution": "found"}, None)
    change = {"risk_level": "low"}
    key = keyed("patch-1", change, f"PATCH /v1/alerts/{alert_id}")
    for _ in range(2):  # refused both times: the refusal was not stored as an outcome
        with pytest.raises(Conflict):
            await intake.update_alert(police, alert_id, change, key)
    fixed, wrong = bodies.alert(), bodies.alert(risk_level="extreme")
    with pytest.raises(InvalidInput):
        await intake.publish_alert(police, wrong, keyed("a-1", wrong))
    published = await intake.publish_alert(police, fixed, keyed("a-1", fixed))
    assert published.effect is Effect.CREATED
    assert len(repo.tables.records["alert"]) == 2


async def test_every_write_and_read_is_audited_with_who_and_which_request(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    police = caller("police", request_id="req-create-1")
    created = await intake.publish_alert(police, bodies.alert(), None)
    assert created.record is not None
    alert_id = created.record.record_id
    await intake.read(caller("investigator"), "alert", alert_id)
    await intake.update_alert(police, alert_id, {"risk_level": "low"}, None)
    await intake.resolve_alert(police, alert_id, {"resolution": "found"}, None)
    registration = await intake.record_registration(
        caller("reception_centre"), bodies.registration(), None
    )
    sighting = await intake.report_sighting(caller("ngo"), bodies.sighting(), None)
    assert registration.record is not None and sighting.record is not None
    reg_id, sighting_id = registration.record.record_id, sighting.record.record_id
    await intake.read(caller("investigator"), "registration", reg_id)
    await intake.read(caller("ngo"), "sighting", sighting_id)

    log = await audit_log(repo)
    assert actions(log) == [
        ("police", "alert.create", alert_id),
        ("investigator", "alert.read", alert_id),
        ("police", "alert.update", alert_id),
        ("police", "alert.resolve", alert_id),
        ("reception_centre", "registration.create", reg_id),
        ("ngo", "sighting.create", sighting_id),
        ("investigator", "registration.read", reg_id),
        ("ngo", "sighting.read", sighting_id),
    ]
    first = log[0].entry
    assert (first.org_id, first.subject, first.request_id, first.record_type) == (
        "it-ps-imperia",
        "it-ps-imperia/officer-1",
        "req-create-1",
        "alert",
    )


async def test_a_list_audits_each_alert_it_shows_and_no_other(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    police = caller("police")
    for _ in range(3):
        await intake.publish_alert(police, bodies.alert(), None)
    investigator = caller("investigator")
    page = await intake.list_alerts(
        investigator, status=None, updated_since=None, cursor=None, limit=2
    )
    shown = [item["alert_id"] for item in page.body["items"]]
    reads = await audit_log(repo, action="alert.read")
    assert [r.entry.record_id for r in reads] == shown and len(shown) == 2
    assert {r.entry.org_kind for r in reads} == {"investigator"}


async def test_auditors_page_through_the_log_and_others_may_not_read_it(
    intake: IntakeHandlers,
) -> None:
    police = caller("police")
    for _ in range(3):
        await intake.publish_alert(police, bodies.alert(), None)
    auditor, everything = caller("auditor"), AuditQuery()
    page = await intake.read_audit(auditor, everything, cursor=None, limit=2)
    rest = await intake.read_audit(auditor, everything, cursor=page.body["next_cursor"], limit=2)
    ids = [e["id"] for e in page.body["items"] + rest.body["items"]]
    assert ids == sorted(ids) and len(ids) == 3 and rest.body["next_cursor"] is None
    assert {e["action"] for e in page.body["items"]} == {"alert.create"}
    # the auditor role, not the kind, opens the log; an investigator without it may not
    own_auditor = caller("police", roles=("auditor",))
    assert (await intake.read_audit(own_auditor, everything, cursor=None, limit=5)).body["items"]
    for who in (caller("investigator"), caller("police")):
        with pytest.raises(NotAllowed):
            await intake.read_audit(who, everything, cursor=None, limit=5)
    with pytest.raises(InvalidQuery):
        await intake.read_audit(auditor, everything, cursor="not-ours", limit=5)
