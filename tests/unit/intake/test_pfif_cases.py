"""PFIF use cases on the in-memory store: who may export, incremental pages, audited reads,
idempotent import, and confirmed matches exported as links."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from services.common.config import CommonSettings
from services.common.errors import InvalidInput, NotAllowed
from services.common.schema_registry import SchemaRegistry
from services.intake.config import IntakeSettings
from services.intake.handlers import IntakeHandlers
from services.intake.pfif.xmlio import parse
from services.intake.pfif_cases import PfifCases
from tests.integration.intake.bodies import alert as alert_body
from tests.integration.intake.bodies import sighting as sighting_body
from tests.unit.intake.callers import audit_log, caller
from tests.unit.intake.fakes import InMemoryIntakeRepository

NS = "{http://zesty.ca/pfif/1.4}"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(registry: SchemaRegistry, clock: Clock) -> InMemoryIntakeRepository:
    return InMemoryIntakeRepository(registry, clock=clock)


def _settings(domain: str = "kinlink.example.org") -> IntakeSettings:
    unused = CommonSettings(kafka_bootstrap="unused:9092", database_url="postgresql://unused")
    return IntakeSettings(common=unused, pfif_domain=domain)


@pytest.fixture
def pfif(repo: InMemoryIntakeRepository, registry: SchemaRegistry, clock: Clock) -> PfifCases:
    return PfifCases(repo, registry, _settings(), clock)


@pytest.fixture
def intake(repo: InMemoryIntakeRepository, registry: SchemaRegistry) -> IntakeHandlers:
    return IntakeHandlers(repo, registry, _settings())


def _ids(document: bytes) -> list[str]:
    root = ET.fromstring(document)
    return [p.findtext(f"{NS}person_record_id") or "" for p in root.iter(f"{NS}person")]


async def _records(intake: IntakeHandlers, count: int) -> list[str]:
    ids = []
    for n in range(count):
        if n % 2:
            outcome = await intake.report_sighting(caller("hotline"), sighting_body(), None)
            ids.append(f"kinlink.example.org/sighting.{outcome.body['sighting_id']}")
        else:
            outcome = await intake.publish_alert(caller("police"), alert_body(), None)
            ids.append(f"kinlink.example.org/alert.{outcome.body['alert_id']}")
    return ids


async def test_pages_follow_min_entry_date_and_skip(
    intake: IntakeHandlers, pfif: PfifCases
) -> None:
    ids = await _records(intake, 5)
    investigator = caller("investigator")
    everything = await pfif.export(
        investigator, version="1.4", min_entry_date=None, skip=0, max_results=100
    )
    assert _ids(everything) == ids
    first = await pfif.export(
        investigator, version="1.4", min_entry_date=None, skip=0, max_results=2
    )
    assert _ids(first) == ids[:2]
    second = await pfif.export(
        investigator, version="1.4", min_entry_date=None, skip=2, max_results=2
    )
    assert _ids(second) == ids[2:4]
    _, persons = parse(everything)
    third_entry = datetime.strptime(persons[2].get("entry_date"), "%Y-%m-%dT%H:%M:%SZ")
    later = await pfif.export(
        investigator,
        version="1.4",
        min_entry_date=third_entry.replace(tzinfo=UTC),
        skip=1,
        max_results=100,
    )
    assert _ids(later) == ids[3:]


async def test_police_export_their_own_records_and_others_are_refused(
    intake: IntakeHandlers, pfif: PfifCases, repo: InMemoryIntakeRepository
) -> None:
    ids = await _records(intake, 3)
    own = await pfif.export(
        caller("police"), version="1.3", min_entry_date=None, skip=0, max_results=10
    )
    assert _ids_13(own) == [ids[0], ids[2]]
    for kind in ("reception_centre", "hotline", "ngo", "auditor"):
        with pytest.raises(NotAllowed):
            await pfif.export(
                caller(kind), version="1.4", min_entry_date=None, skip=0, max_results=10
            )
    exports = [r.entry for r in await audit_log(repo, action="pfif.export")]
    assert [(e.org_kind, e.record_id) for e in exports] == [
        ("police", i.rsplit(".", 1)[-1]) for i in (ids[0], ids[2])
    ]


def _ids_13(document: bytes) -> list[str]:
    root = ET.fromstring(document)
    ns = "{http://zesty.ca/pfif/1.3}"
    return [p.findtext(f"{ns}person_record_id") or "" for p in root.iter(f"{ns}person")]


async def test_import_is_idempotent_and_keeps_provenance(
    registry: SchemaRegistry, clock: Clock, intake: IntakeHandlers, pfif: PfifCases
) -> None:
    await _records(intake, 4)
    document = await pfif.export(
        caller("investigator"), version="1.4", min_entry_date=None, skip=0, max_results=10
    )
    partner = InMemoryIntakeRepository(registry, clock=clock)
    other = PfifCases(partner, registry, _settings("partner.example.org"), clock)
    first = await other.import_file(caller("ngo"), document, "sightings")
    assert len(first.created) == 4 and first.unchanged == []
    again = await other.import_file(caller("ngo"), document, "sightings")
    assert again.created == [] and [u["sighting_id"] for u in again.unchanged] == [
        c["sighting_id"] for c in first.created
    ]
    assert len(partner.emitted) == 4
    re_export = await other.export(
        caller("investigator"), version="1.4", min_entry_date=None, skip=0, max_results=10
    )
    assert sorted(_ids(re_export)) == sorted(_ids(document))


async def test_import_refuses_callers_who_may_not_create_and_bad_files(
    pfif: PfifCases, repo: InMemoryIntakeRepository
) -> None:
    with pytest.raises(NotAllowed):
        await pfif.import_file(caller("reception_centre"), b"<x/>", "sightings")
    with pytest.raises(NotAllowed):
        await pfif.import_file(caller("hotline"), b"<x/>", "alerts")
    bad = b'<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person><pfif:full_name>A</pfif:full_name></pfif:person></pfif:pfif>'
    with pytest.raises(InvalidInput) as refused:
        await pfif.import_file(caller("hotline"), bad, "sightings")
    assert "/person/0/person_record_id" in {e.pointer for e in refused.value.errors}
    assert repo.emitted == []


async def test_a_confirmed_review_links_both_records(
    intake: IntakeHandlers, pfif: PfifCases, repo: InMemoryIntakeRepository
) -> None:
    ids = await _records(intake, 2)
    alert_id, sighting_id = (i.rsplit(".", 1)[-1] for i in ids)
    review = {
        "match_id": "7d0a5b8e-0000-4000-8000-000000000001",
        "alert_id": alert_id,
        "observation": {"type": "sighting", "id": sighting_id},
        "decision": "confirmed",
        "reviewer": {"id": "inv-1", "organisation_id": "eu-investigations"},
        "at": "2025-05-01T13:00:00Z",
    }
    async with repo.transaction() as tx:
        await pfif.review_recorded(review, tx)
    document = await pfif.export(
        caller("investigator"), version="1.4", min_entry_date=None, skip=0, max_results=10
    )
    _, persons = parse(document)
    links = {
        p.record_id: {n.get("linked_person_record_id") for n in p.notes} - {""} for p in persons
    }
    assert links == {ids[0]: {ids[1]}, ids[1]: {ids[0]}}
    async with repo.transaction() as tx:
        await pfif.review_recorded(
            {**review, "decision": "rejected", "at": "2025-05-01T14:00:00Z"}, tx
        )
    _, persons = parse(
        await pfif.export(
            caller("investigator"), version="1.4", min_entry_date=None, skip=0, max_results=10
        )
    )
    assert all(not n.get("linked_person_record_id") for p in persons for n in p.notes)
