"""Who may do what through intake's use cases: each organisation kind's doors, and records of
other organisations (refused as NotAllowed, 403) or unknown ones (NotFound, 404)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from services.common.auth import Caller
from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_UPDATED,
    REGISTRATION_RECORDED,
    SIGHTING_REPORTED,
)
from services.common.errors import NotAllowed, NotFound
from services.common.outcomes import Effect, Outcome
from services.intake.handlers import IntakeHandlers
from tests.integration.intake import bodies
from tests.unit.intake.callers import KINDS, actions, audit_log, caller
from tests.unit.intake.fakes import InMemoryIntakeRepository

Door = Callable[[IntakeHandlers, Caller], Awaitable[Outcome]]
DOORS: dict[str, tuple[Door, str, set[str]]] = {  # door -> (call, event type, kinds allowed)
    "alert": (
        lambda h, c: h.publish_alert(c, bodies.alert(), None),
        ALERT_PUBLISHED,
        {"police"},
    ),
    "registration": (
        lambda h, c: h.record_registration(c, bodies.registration(), None),
        REGISTRATION_RECORDED,
        {"reception_centre"},
    ),
    "sighting": (
        lambda h, c: h.report_sighting(c, bodies.sighting(), None),
        SIGHTING_REPORTED,
        {"police", "ngo", "hotline"},
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("door", DOORS)
async def test_each_kind_creates_only_through_its_doors(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository, door: str, kind: str
) -> None:
    create, ce_type, allowed = DOORS[door]
    if kind not in allowed:
        with pytest.raises(NotAllowed):
            await create(intake, caller(kind))
        assert repo.emitted == [] and await audit_log(repo) == []
        return
    outcome = await create(intake, caller(kind))
    assert outcome.effect is Effect.CREATED and outcome.record is not None
    record_id = outcome.record.record_id
    assert outcome.body[f"{door}_id"] == record_id
    (event,) = repo.emitted
    assert (event.type, event.subject, event.source) == (
        ce_type,
        record_id,
        f"/kinlink/intake/{caller(kind).principal.org}",
    )
    assert actions(await audit_log(repo)) == [(kind, f"{door}.create", record_id)]


async def test_the_record_names_the_callers_organisation_not_one_from_the_body(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    police, centre, hotline = caller("police"), caller("reception_centre"), caller("hotline")
    alert = await intake.publish_alert(police, bodies.alert(), None)
    registration = await intake.record_registration(centre, bodies.registration(), None)
    sighting = await intake.report_sighting(hotline, bodies.sighting(), None)
    assert alert.body["issuing_authority"] == {"id": "it-ps-imperia", "country": "ITA"}
    assert alert.body["status"] == "active"
    assert registration.body["centre"] == {"id": "it-centre-roja", "country": "ITA"}
    assert sighting.body["reporter"] == {
        "id": "fr-hotline-116000",
        "kind": "hotline",
        "country": "FRA",
    }
    assert [e.data for e in repo.emitted] == [
        {k: v for k, v in o.body.items() if k not in ("created_at", "updated_at")}
        for o in (alert, registration, sighting)
    ]


async def _published(intake: IntakeHandlers, org: str = "it-ps-imperia") -> str:
    outcome = await intake.publish_alert(caller("police", org), bodies.alert(), None)
    assert outcome.record is not None
    return outcome.record.record_id


async def test_another_force_reads_an_active_alert_but_cannot_change_it(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    alert_id = await _published(intake)
    nice = caller("police", "fr-pn-nice")
    shared = await intake.read(nice, "alert", alert_id)
    assert shared.body["alert_id"] == alert_id and shared.body["status"] == "active"
    attempts: list[Awaitable[Any]] = [
        intake.update_alert(nice, alert_id, {"risk_level": "low"}, None),
        intake.resolve_alert(nice, alert_id, {"resolution": "withdrawn"}, None),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed):
            await attempt
    own = await intake.read(caller("police"), "alert", alert_id)
    assert own.body["risk_level"] == "high" and own.body["status"] == "active"
    assert [e.type for e in repo.emitted] == [ALERT_PUBLISHED]
    reads = [r.entry for r in repo.tables.audit if r.entry.action == "alert.read"]
    assert [(e.org_id, e.record_id) for e in reads][0] == ("fr-pn-nice", alert_id)


async def test_a_resolved_alert_of_another_force_is_no_longer_shared(
    intake: IntakeHandlers,
) -> None:
    alert_id = await _published(intake)
    await intake.resolve_alert(caller("police"), alert_id, {"resolution": "found"}, None)
    nice = caller("police", "fr-pn-nice")
    for attempt in (intake.read(nice, "alert", alert_id), intake.alert_history(nice, alert_id)):
        with pytest.raises(NotAllowed):
            await attempt
    assert (await intake.read(caller("police"), "alert", alert_id)).body["status"] == "resolved"


async def test_the_history_of_a_shared_alert_lists_every_revision_and_is_audited(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    alert_id = await _published(intake)
    await intake.update_alert(caller("police"), alert_id, {"risk_level": "critical"}, None)
    history = await intake.alert_history(caller("police", "fr-pn-nice"), alert_id)
    items = history.body["items"]
    assert [i["revision"] for i in items] == [1, 2]
    assert [i["type"] for i in items] == [ALERT_PUBLISHED, ALERT_UPDATED]
    assert items[1]["data"]["changes"] == {"risk_level": "critical"}
    assert {i["by"] for i in items} == {"it-ps-imperia"}
    audited = [r.entry for r in repo.tables.audit if r.entry.action == "alert.history.read"]
    assert [(e.org_id, e.record_id) for e in audited] == [("fr-pn-nice", alert_id)]
    with pytest.raises(NotAllowed):
        await intake.alert_history(caller("reception_centre"), alert_id)


async def test_investigators_read_every_organisations_records_and_change_none(
    intake: IntakeHandlers,
) -> None:
    alert_id = await _published(intake)
    sighting = await intake.report_sighting(caller("ngo"), bodies.sighting(), None)
    assert sighting.record is not None
    investigator = caller("investigator")
    read = await intake.read(investigator, "alert", alert_id)
    assert read.effect is Effect.READ and read.body["alert_id"] == alert_id
    seen = await intake.read(investigator, "sighting", sighting.record.record_id)
    assert seen.body["reporter"]["id"] == "fr-ngo-utopia"
    with pytest.raises(NotAllowed):
        await intake.update_alert(investigator, alert_id, {"risk_level": "low"}, None)


async def test_observations_are_read_by_their_own_organisation_only(
    intake: IntakeHandlers,
) -> None:
    sighting = await intake.report_sighting(caller("ngo"), bodies.sighting(), None)
    registration = await intake.record_registration(
        caller("reception_centre"), bodies.registration(), None
    )
    assert sighting.record is not None and registration.record is not None
    sighting_id, registration_id = sighting.record.record_id, registration.record.record_id
    assert (await intake.read(caller("ngo"), "sighting", sighting_id)).body == sighting.body
    with pytest.raises(NotAllowed):
        await intake.read(caller("ngo", "fr-ngo-autre"), "sighting", sighting_id)
    with pytest.raises(NotAllowed):
        await intake.read(
            caller("reception_centre", "gr-centre-samos"), "registration", registration_id
        )
    with pytest.raises(NotAllowed):  # a kind without any read grant for the type
        await intake.read(caller("hotline"), "registration", registration_id)


@pytest.mark.parametrize("record_id", ["0b1c8f8e-3d5a-4c1e-9f7a-2d1e5b6c7a80", "not-a-uuid", ""])
async def test_unknown_or_malformed_ids_are_not_found(
    intake: IntakeHandlers, record_id: str
) -> None:
    investigator, police = caller("investigator"), caller("police")
    for attempt in (
        intake.read(investigator, "alert", record_id),
        intake.read(investigator, "sighting", record_id),
        intake.update_alert(police, record_id, {"risk_level": "low"}, None),
        intake.resolve_alert(police, record_id, {"resolution": "found"}, None),
    ):
        with pytest.raises(NotFound):
            await attempt


async def test_an_id_of_another_record_type_is_not_found(intake: IntakeHandlers) -> None:
    sighting = await intake.report_sighting(caller("police"), bodies.sighting(), None)
    assert sighting.record is not None
    with pytest.raises(NotFound):
        await intake.read(caller("investigator"), "alert", sighting.record.record_id)


async def test_alert_lists_show_police_every_active_alert_and_investigators_all(
    intake: IntakeHandlers,
) -> None:
    imperia = {await _published(intake), await _published(intake)}
    palermo = await _published(intake, "it-ps-palermo")
    await intake.resolve_alert(
        caller("police", "it-ps-palermo"), palermo, {"resolution": "found"}, None
    )

    async def listed(who: Caller) -> set[str]:
        page = await intake.list_alerts(who, status=None, updated_since=None, cursor=None, limit=50)
        return {item["alert_id"] for item in page.body["items"]}

    assert await listed(caller("police")) == imperia
    assert await listed(caller("police", "it-ps-palermo")) == imperia | {palermo}
    assert await listed(caller("investigator")) == imperia | {palermo}
    for kind in ("reception_centre", "ngo", "hotline", "auditor"):
        with pytest.raises(NotAllowed):
            await listed(caller(kind))
