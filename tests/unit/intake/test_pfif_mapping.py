"""PFIF mapping without I/O: a generated scenario exported as PFIF 1.3 and 1.4 meets the
specifications, and what is exported imports back as the same records."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.common.errors import InvalidInput
from services.intake.pfif.export import ExportSettings, to_person
from services.intake.pfif.importing import Candidate, Skipped, to_candidates
from services.intake.pfif.records import ConfirmedLink, ExportSource
from services.intake.pfif.spec import VERSIONS
from services.intake.pfif.xmlio import parse, to_xml
from tests.unit.intake.pfif_checks import violations
from tests.unit.intake.pfif_sources import now_for, scenario_sources

SETTINGS = ExportSettings(domain="kinlink.example.org", record_url="https://intake.example.org")
CARRIED = ("given_names", "family_name", "other_names", "sex", "date_of_birth",
           "date_of_birth_kind", "age_range", "nationalities", "languages", "father_name",
           "mother_name")  # fmt: skip
WHEN = {
    "alert": ("last_seen", "at"),
    "registration": ("registered_at",),
    "sighting": ("observed_at",),
}
WHERE = {
    "alert": ("last_seen", "location"),
    "registration": ("location",),
    "sighting": ("location",),
}


def _export(sources: list[ExportSource], version: str, now: datetime) -> bytes:
    return to_xml([to_person(s, SETTINGS, now, {}) for s in sources], VERSIONS[version])


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def _child(child: dict[str, Any]) -> dict[str, Any]:
    """The fields PFIF carries, with "unknown" and empty the same as absent."""
    return {k: child[k] for k in CARRIED if child.get(k) not in (None, [], "unknown")}


def _second(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)


def _place(location: dict[str, Any]) -> dict[str, Any]:
    return {k: location[k] for k in ("lat", "lon", "place", "country") if k in location}


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_export_then_import_gives_back_the_same_records(version: str) -> None:
    sources = [s for s in scenario_sources() if s.status != "resolved"]
    now = now_for(sources)
    _, persons = parse(_export(sources, version, now))
    for as_type, kinds in (("alerts", {"alert"}), ("sightings", {"registration", "sighting"})):
        chosen = [p for p, s in zip(persons, sources, strict=True) if s.record_type in kinds]
        results, errors = to_candidates(chosen, as_type, "partner.example.org", now)
        assert errors == []
        originals = [s for s in sources if s.record_type in kinds]
        assert len(results) == len(originals)
        for source, result in zip(originals, results, strict=True):
            assert isinstance(result, Candidate)
            body = result.body
            kind = source.record_type
            assert _child(body["child"]) == _child(source.data["child"])
            when, where = (("last_seen", "at"), ("last_seen", "location"))
            if as_type == "sightings":
                when, where = ("observed_at",), ("location",)
            assert _second(_dig(body, when)) == _second(_dig(source.data, WHEN[kind]))
            assert _dig(body, where) == _place(_dig(source.data, WHERE[kind]))
            if kind == "alert":
                assert body["category"] == source.data["category"]
            expected_pid = f"kinlink.example.org/{kind}.{source.record_id}"
            assert result.provenance.person_record_id == expected_pid
            assert result.provenance.source_name == "Kinlink"
            assert result.provenance.source_url.endswith(f"/v1/{kind}s/{source.record_id}")


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_a_scenario_export_meets_the_specification(version: str) -> None:
    sources = scenario_sources()
    now = now_for(sources)
    alert = next(s for s in sources if s.record_type == "alert")
    seen = next(s for s in sources if s.record_type == "registration")
    link = ConfirmedLink("7d0a5b8e-0000-4000-8000-000000000001", alert.record_id,
                         "registration", seen.record_id, "eu-investigations", now, now)  # fmt: skip
    expired = replace(sources[5], created_at=now - timedelta(days=400))
    erased = replace(sources[6], data={k: v for k, v in sources[6].data.items() if k != "child"})
    sources = [replace(s, links=(link,)) if s in (alert, seen) else s for s in sources]
    sources[5:7] = [expired, erased]
    document = _export(sources, version, now)
    assert violations(document, version, now) == []
    _, persons = parse(document)
    by_id = {p.record_id: p for p in persons}
    alert_pid = f"kinlink.example.org/alert.{alert.record_id}"
    seen_pid = f"kinlink.example.org/registration.{seen.record_id}"
    assert seen_pid in {n.get("linked_person_record_id") for n in by_id[alert_pid].notes}
    assert alert_pid in {n.get("linked_person_record_id") for n in by_id[seen_pid].notes}
    statuses = {
        p.record_id.split("/")[1].split(".")[0]: p.notes[0].get("status")
        for p in persons
        if p.notes
    }
    assert statuses == {"alert": "information_sought", "registration": "believed_alive",
                        "sighting": "believed_alive"}  # fmt: skip
    for reduced in (expired, erased):
        pid = f"kinlink.example.org/{reduced.record_type}.{reduced.record_id}"
        assert set(by_id[pid].fields) == {
            "person_record_id",
            "entry_date",
            "expiry_date",
            "source_date",
        }
        assert by_id[pid].notes == ()


def test_a_resolved_alert_tells_the_child_was_found() -> None:
    sources = scenario_sources()
    resolved = next(s for s in sources if s.status == "resolved")
    person = to_person(resolved, SETTINGS, now_for(sources), {})
    assert [n.get("status") for n in person.notes][:1] == ["information_sought"]
    if (resolved.resolution or {}).get("resolution") == "found":
        assert person.notes[1].get("status") == "believed_alive"


def test_re_exported_partner_records_keep_their_home_repository() -> None:
    sources = scenario_sources()
    now = now_for(sources)
    _, persons = parse(_export(sources[:3], "1.4", now))
    results, _ = to_candidates(persons, "sightings", "partner.example.org", now)
    first = results[0]
    assert isinstance(first, Candidate)
    again = replace(sources[0], provenance=first.provenance)
    assert to_person(again, replace(SETTINGS, domain="partner.example.org"), now, {}).record_id == (
        persons[0].record_id
    )


def test_expired_placeholders_and_own_records_are_skipped() -> None:
    sources = scenario_sources()
    now = now_for(sources)
    old = replace(sources[0], created_at=now - timedelta(days=400))
    _, persons = parse(_export([old, sources[1]], "1.4", now))
    results, errors = to_candidates(persons, "sightings", "kinlink.example.org", now)
    assert errors == []
    assert [r.reason for r in results if isinstance(r, Skipped)] == ["expired", "own"]


MALFORMED = b"""<?xml version="1.0"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">
  <pfif:person>
    <pfif:person_record_id>partner.example.org/p1</pfif:person_record_id>
    <pfif:source_date>2025-04-12 18:30</pfif:source_date>
    <pfif:full_name>Samir</pfif:full_name>
    <pfif:note>
      <pfif:note_record_id>partner.example.org/n1</pfif:note_record_id>
      <pfif:author_name>volunteer</pfif:author_name>
      <pfif:source_date>2025-04-12T18:30:00Z</pfif:source_date>
      <pfif:status>found_alive</pfif:status>
    </pfif:note>
  </pfif:person>
</pfif:pfif>"""


def test_a_malformed_file_names_the_record_and_the_field() -> None:
    _, persons = parse(MALFORMED)
    _, errors = to_candidates(
        persons, "sightings", "kinlink.example.org", datetime.now().astimezone()
    )
    pointers = {e.pointer for e in errors}
    assert pointers == {"/person/0/source_date", "/person/0/note/0/status"}
    assert all("partner.example.org/p1" in e.detail for e in errors)


@pytest.mark.parametrize(
    "document",
    [
        b"<not-xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b'<pfif xmlns="http://example.org/other"/>',
    ],
)
def test_unsafe_or_foreign_documents_are_refused(document: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse(document)
