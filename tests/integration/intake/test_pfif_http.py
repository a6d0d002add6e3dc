"""PFIF through intake's real HTTP routes, PostgreSQL and Kafka: import a partner's file, export
the feed page by page, and a `match.reviewed` event on the broker turning into links."""

from __future__ import annotations

import asyncio
import dataclasses
import xml.etree.ElementTree as ET
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from services.cli import main
from services.common.catalog import MATCH_REVIEWED
from services.common.config import CommonSettings
from services.common.envelope import new_event
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.intake.app import create_app
from services.intake.config import IntakeSettings
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.unit.intake.pfif_checks import violations

NS = "{http://zesty.ca/pfif/1.4}"
XML = {"Content-Type": "application/xml"}
PARTNER = b"""<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.3">
  <pfif:person>
    <pfif:person_record_id>finder.example.org/person.41</pfif:person_record_id>
    <pfif:entry_date>2025-04-21T09:00:00Z</pfif:entry_date>
    <pfif:expiry_date>2099-01-01T00:00:00Z</pfif:expiry_date>
    <pfif:author_name>Desk volunteer</pfif:author_name>
    <pfif:source_name>Finder</pfif:source_name>
    <pfif:source_date>2025-04-21T08:55:00Z</pfif:source_date>
    <pfif:source_url>https://finder.example.org/view?id=41</pfif:source_url>
    <pfif:full_name>Samir Haidari</pfif:full_name>
    <pfif:first_name>Samir</pfif:first_name>
    <pfif:last_name>Haidari</pfif:last_name>
    <pfif:sex>male</pfif:sex>
    <pfif:age>12-15</pfif:age>
    <pfif:note>
      <pfif:note_record_id>finder.example.org/note.77</pfif:note_record_id>
      <pfif:author_name>Desk volunteer</pfif:author_name>
      <pfif:source_date>2025-04-21T07:45:00Z</pfif:source_date>
      <pfif:found>false</pfif:found>
      <pfif:status>believed_alive</pfif:status>
      <pfif:last_known_location>48.88, 2.36 (Paris Gare du Nord; FRA)</pfif:last_known_location>
      <pfif:text>Seen near the station with two older boys.</pfif:text>
    </pfif:note>
  </pfif:person>
</pfif:pfif>"""


def _persons(document: str) -> list[dict[str, Any]]:
    root = ET.fromstring(document)
    found = []
    for person in root.iter(f"{NS}person"):
        notes = [{c.tag.removeprefix(NS): c.text for c in n} for n in person.iter(f"{NS}note")]
        fields = {c.tag.removeprefix(NS): c.text for c in person if c.tag != f"{NS}note"}
        found.append({**fields, "notes": notes})
    return found


async def test_import_export_and_paging_through_http(client: Any, token: TokenFactory) -> None:
    hotline = bearer(token("hotline"))
    first = await client.post(
        "/v1/pfif/import?as=sightings", data=PARTNER, headers={**hotline, **XML}
    )
    assert first.status == 201, await first.text()
    created = (await first.json())["created"]
    assert [c["person_record_id"] for c in created] == ["finder.example.org/person.41"]
    again = await client.post(
        "/v1/pfif/import?as=sightings", data=PARTNER, headers={**hotline, **XML}
    )
    assert again.status == 200
    assert (await again.json())["unchanged"] == created

    sighting = await client.get(f"/v1/sightings/{created[0]['sighting_id']}", headers=hotline)
    data = await sighting.json()
    assert data["child"]["given_names"] == "Samir"
    assert data["observed_at"] == "2025-04-21T07:45:00Z"
    assert data["location"]["place"] == "Paris Gare du Nord"

    police = bearer(token("police"))
    for _ in range(2):
        assert (await client.post("/v1/alerts", json=bodies.alert(), headers=police)).status == 201
    investigator = bearer(token("investigator"))
    whole = await client.get("/v1/pfif/persons?max_results=10", headers=investigator)
    assert whole.status == 200 and whole.content_type == "application/xml"
    text = await whole.text()
    assert violations(text.encode(), "1.4") == []
    persons = _persons(text)
    partner = persons[0]
    assert partner["person_record_id"] == "finder.example.org/person.41"
    assert partner["source_url"] == "https://finder.example.org/view?id=41"
    assert partner["source_name"] == "Finder"
    assert partner["expiry_date"] == "2099-01-01T00:00:00Z"
    pages = []
    for skip in (0, 1, 2):
        page = await client.get(f"/v1/pfif/persons?max_results=1&skip={skip}", headers=investigator)
        pages += _persons(await page.text())
    assert [p["person_record_id"] for p in pages] == [p["person_record_id"] for p in persons]
    # min_entry_date is inclusive at PFIF's one-second precision; `skip` steps over the records
    # of that second a reader already has (Person Finder's read API does the same)
    later = persons[1]["entry_date"]
    ids = [p["person_record_id"] for p in persons]
    query = f"/v1/pfif/persons?min_entry_date={later}"
    tail = await client.get(query, headers=investigator)
    expected = [p["person_record_id"] for p in persons if p["entry_date"] >= later]
    assert [p["person_record_id"] for p in _persons(await tail.text())] == expected
    already = sum(1 for p in persons[:1] if p["entry_date"] == later)
    rest = await client.get(f"{query}&skip={already}", headers=investigator)
    assert [p["person_record_id"] for p in _persons(await rest.text())] == ids[1:]
    old = await client.get("/v1/pfif/persons?version=1.3", headers=investigator)
    assert violations(await old.read(), "1.3") == []


async def test_reception_centres_and_strangers_are_refused(
    client: Any, token: TokenFactory
) -> None:
    assert (await client.get("/v1/pfif/persons")).status == 401
    centre = bearer(token("reception_centre"))
    assert (await client.get("/v1/pfif/persons", headers=centre)).status == 403
    refused = await client.post(
        "/v1/pfif/import?as=sightings", data=PARTNER, headers={**centre, **XML}
    )
    assert refused.status == 403


async def test_a_malformed_file_is_refused_naming_record_and_field(
    client: Any, token: TokenFactory
) -> None:
    broken = PARTNER.replace(b"2025-04-21T07:45:00Z", b"yesterday")
    answer = await client.post(
        "/v1/pfif/import?as=sightings", data=broken, headers={**bearer(token("ngo")), **XML}
    )
    assert answer.status == 422
    problem = await answer.json()
    [error] = problem["errors"]
    assert error["pointer"] == "/person/0/note/0/source_date"
    assert "finder.example.org/person.41" in error["detail"]


async def test_a_confirmed_match_on_kafka_links_both_records(
    intake_settings: IntakeSettings,
    token: TokenFactory,
    settings: CommonSettings,
    registry: SchemaRegistry,
) -> None:
    consuming = dataclasses.replace(intake_settings, run_consumer=True)
    async with TestClient(TestServer(create_app(consuming, registry))) as client:
        await _link_through_kafka(client, token, settings, registry)


async def _link_through_kafka(
    client: Any, token: TokenFactory, settings: CommonSettings, registry: SchemaRegistry
) -> None:
    police, hotline = bearer(token("police")), bearer(token("hotline"))
    alert = await (await client.post("/v1/alerts", json=bodies.alert(), headers=police)).json()
    seen = await (
        await client.post("/v1/sightings", json=bodies.sighting(), headers=hotline)
    ).json()
    review = {
        "match_id": "7d0a5b8e-0000-4000-8000-0000000000a1",
        "alert_id": alert["alert_id"],
        "observation": {"type": "sighting", "id": seen["sighting_id"]},
        "decision": "confirmed",
        "reviewer": {"id": "inv-1", "organisation_id": "eu-investigations"},
        "at": "2025-05-01T13:00:00Z",
    }
    async with EventProducer(settings, registry, client_id="test-reviews") as producer:
        await producer.send(
            new_event(MATCH_REVIEWED, "/kinlink/notifier", review["match_id"], review)
        )
    investigator = bearer(token("investigator"))
    links: dict[str, set[str]] = {}
    for _ in range(120):  # the consumer applies the event in its own time
        page = await client.get("/v1/pfif/persons", headers=investigator)
        persons = _persons(await page.text())
        links = {
            p["person_record_id"]: {
                n["linked_person_record_id"] for n in p["notes"] if n.get("linked_person_record_id")
            }
            for p in persons
        }
        if any(links.values()):
            break
        await asyncio.sleep(0.5)
    alert_pid = f"kinlink.local/alert.{alert['alert_id']}"
    seen_pid = f"kinlink.local/sighting.{seen['sighting_id']}"
    assert links == {alert_pid: {seen_pid}, seen_pid: {alert_pid}}


async def test_the_kinlink_pfif_command_pages_and_imports(
    client: Any, token: TokenFactory, tmp_path: Any
) -> None:
    police = bearer(token("police"))
    for _ in range(3):
        assert (await client.post("/v1/alerts", json=bodies.alert(), headers=police)).status == 201
    url = str(client.make_url("/"))
    runner = CliRunner()
    out = tmp_path / "feed.xml"
    args = ["pfif", "export", "--max-results", "2", "--out", str(out), "--url", url]
    exported = await asyncio.to_thread(
        runner.invoke, main, [*args, "--token", token("investigator")]
    )
    assert exported.exit_code == 0, exported.output
    assert len(_persons(out.read_text())) == 3
    assert violations(out.read_bytes(), "1.4") == []
    partner = tmp_path / "partner.xml"
    partner.write_bytes(PARTNER)
    args = ["pfif", "import", str(partner), "--as", "sightings", "--url", url]
    imported = await asyncio.to_thread(runner.invoke, main, [*args, "--token", token("hotline")])
    assert imported.exit_code == 0, imported.output
    refused = await asyncio.to_thread(
        runner.invoke, main, [*args, "--token", token("reception_centre")]
    )
    assert refused.exit_code == 1
