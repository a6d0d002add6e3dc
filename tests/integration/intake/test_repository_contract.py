"""One contract for intake's store: every test runs on the in-memory fake (which the use-case
unit tests stand on) and on PostgreSQL, so the fake cannot drift from the real repository."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.common.audit import AuditEntry
from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERT_UPDATED,
    ALERTS,
    SIGHTING_REPORTED,
    SIGHTINGS,
)
from services.common.envelope import new_event
from services.common.outcomes import StoredResponse
from services.common.schema_registry import EventValidationError, SchemaRegistry
from services.intake.app import MIGRATIONS
from services.intake.config import SCHEMA
from services.intake.pfif.records import Provenance
from services.intake.postgres import PostgresIntakeRepository
from services.intake.repository import AuditQuery, IntakeRepository, Review
from tests.examples import example_data
from tests.integration.stores import Store, open_store, topic
from tests.unit.intake.fakes import InMemoryIntakeRepository

POLICE, OTHER_POLICE = "it-ps-imperia", "it-ps-palermo"


@pytest.fixture(params=["memory", "postgres"])
async def store(
    request: pytest.FixtureRequest, registry: SchemaRegistry
) -> AsyncIterator[Store[IntakeRepository]]:
    async with open_store(
        request,
        SCHEMA,
        MIGRATIONS,
        memory=lambda: InMemoryIntakeRepository(registry, topic),
        postgres=lambda pool: PostgresIntakeRepository(pool, registry, topic),
    ) as opened:
        yield opened


def new_id() -> str:
    return str(uuid.uuid4())


def alert_data(alert_id: str) -> dict[str, Any]:
    return {**example_data(ALERT_PUBLISHED), "alert_id": alert_id}


def entry(record_id: str, action: str = "alert.create", org: str = POLICE) -> AuditEntry:
    return AuditEntry(org, "police", f"{org}/officer-1", action, "alert", record_id, "req-1")


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


async def test_an_inserted_alert_is_active_and_reads_back_as_stored(
    store: Store[IntakeRepository],
) -> None:
    alert_id = new_id()
    data = alert_data(alert_id)
    async with store.repository.transaction() as tx:
        inserted = await tx.insert_alert(alert_id.upper(), POLICE, data)
    data["child"]["given_names"] = "changed after the insert"
    assert inserted.id == alert_id  # the canonical form of the uuid
    assert (inserted.org_id, inserted.status, inserted.resolution) == (POLICE, "active", None)
    assert inserted.data == alert_data(alert_id)
    assert inserted.updated_at == inserted.created_at
    assert inserted.created_at.utcoffset() is not None
    async with store.repository.transaction() as tx:
        assert await tx.get_record("alert", alert_id) == inserted
        assert await tx.get_record("alert", new_id()) is None
        assert await tx.get_record("sighting", alert_id) is None
        with pytest.raises(asyncpg.UniqueViolationError):
            await tx.insert_alert(alert_id, OTHER_POLICE, alert_data(alert_id))


@pytest.mark.parametrize("record_type", ["registration", "sighting"])
async def test_observations_have_no_status_and_no_update_time(
    store: Store[IntakeRepository], record_type: str
) -> None:
    record_id = new_id()
    data = {f"{record_type}_id": record_id, "note": "ünïcode kept"}
    async with store.repository.transaction() as tx:
        inserted = await tx.insert_record(record_type, record_id, "fr-ngo-utopia", data)
        assert await tx.get_record(record_type, record_id, for_update=True) == inserted
    assert (inserted.status, inserted.resolution, inserted.updated_at) == (None, None, None)
    assert inserted.data == data and inserted.org_id == "fr-ngo-utopia"
    async with store.repository.transaction() as tx:
        assert await tx.get_record("alert", record_id) is None


async def test_a_save_moves_updated_at_and_keeps_created_at(
    store: Store[IntakeRepository],
) -> None:
    alert_id = new_id()
    async with store.repository.transaction() as tx:
        inserted = await tx.insert_alert(alert_id, POLICE, alert_data(alert_id))
    resolution = {"alert_id": alert_id, "resolution": "found", "at": "2025-04-20T10:00:00Z"}
    changed = {**alert_data(alert_id), "risk_level": "low"}
    async with store.repository.transaction() as tx:
        saved = await tx.save_alert(alert_id, "resolved", changed, resolution)
    assert (saved.status, saved.data, saved.resolution) == ("resolved", changed, resolution)
    assert saved.created_at == inserted.created_at
    assert inserted.updated_at is not None and saved.updated_at is not None
    assert saved.updated_at > inserted.updated_at
    async with store.repository.transaction() as tx:
        assert await tx.get_record("alert", alert_id, for_update=True) == saved
        # the moment of each save, not the start of its transaction (clock_timestamp())
        once = await tx.save_alert(alert_id, "resolved", changed, resolution)
        twice = await tx.save_alert(alert_id, "resolved", changed, resolution)
        assert once.updated_at is not None and twice.updated_at is not None
        assert twice.updated_at > once.updated_at


async def test_a_transaction_that_raises_leaves_nothing_behind(
    store: Store[IntakeRepository],
) -> None:
    kept, lost = new_id(), new_id()
    async with store.repository.transaction() as tx:
        await tx.insert_alert(kept, POLICE, alert_data(kept))
    with pytest.raises(Boom):
        async with store.repository.transaction() as tx:
            await tx.insert_alert(lost, POLICE, alert_data(lost))
            await tx.save_alert(kept, "resolved", alert_data(kept), {"resolution": "found"})
            await tx.store_response(POLICE, "k-1", StoredResponse("h", "created", {}, None, None))
            await tx.append_audit([entry(lost)])
            await tx.emit(new_event(ALERT_PUBLISHED, "/test", lost, alert_data(lost)))
            raise Boom
    async with store.repository.transaction() as tx:
        assert await tx.get_record("alert", lost) is None
        still = await tx.get_record("alert", kept)
        assert still is not None and still.status == "active"
        assert await tx.stored_response(POLICE, "k-1") is None
        assert await tx.list_audit(AuditQuery(), after_id=0, limit=10) == []
    assert await store.emitted() == []
    with pytest.raises(asyncpg.InterfaceError):  # the transaction is over: so is its handle
        await tx.get_record("alert", kept)


async def test_alerts_list_by_update_time_then_id_with_filters_and_cursor(
    store: Store[IntakeRepository],
) -> None:
    together = sorted((new_id() for _ in range(3)), key=uuid.UUID)
    other = new_id()
    async with store.repository.transaction() as tx:  # one transaction: one now()
        for alert_id in reversed(together):
            await tx.insert_alert(alert_id, POLICE, alert_data(alert_id))
    async with store.repository.transaction() as tx:
        later = await tx.insert_alert(other, OTHER_POLICE, alert_data(other))
    async with store.repository.transaction() as tx:
        await tx.save_alert(together[0], "resolved", alert_data(together[0]), {"r": "found"})
    expected = [*together[1:], other, together[0]]

    async def listed(**query: Any) -> list[str]:
        args: dict[str, Any] = {"org_id": None, "status": None, "updated_since": None}
        args.update({"after": None, "limit": 10, **query})
        async with store.repository.transaction() as tx:
            return [r.id for r in await tx.list_alerts(**args)]

    assert await listed() == expected
    async with store.repository.transaction() as tx:
        page = await tx.list_alerts(
            org_id=None, status=None, updated_since=None, after=None, limit=2
        )
    assert [r.id for r in page] == expected[:2] and page[-1].updated_at is not None
    rest = await listed(after=(page[-1].updated_at, page[-1].id))
    assert rest == expected[2:]
    assert await listed(org_id=POLICE) == [*together[1:], together[0]]
    assert await listed(status="resolved") == [together[0]]
    assert await listed(status="active", org_id=OTHER_POLICE) == [other]
    assert await listed(updated_since=later.updated_at) == [other, together[0]]
    # a police unit of another force: its own alerts and every active one
    assert await listed(org_id=OTHER_POLICE, or_active=True) == [*together[1:], other]
    assert await listed(org_id=POLICE, or_active=True) == expected


async def test_alert_history_numbers_revisions_per_alert_in_order(
    store: Store[IntakeRepository],
) -> None:
    alert_id, other_id = new_id(), new_id()
    published = new_event(ALERT_PUBLISHED, "/kinlink/intake/x", alert_id, alert_data(alert_id))
    change = {"alert_id": alert_id, "at": "2025-04-13T10:00:00Z", "changes": {"risk_level": "low"}}
    updated = new_event(ALERT_UPDATED, "/kinlink/intake/x", alert_id, change)
    async with store.repository.transaction() as tx:
        await tx.insert_alert(alert_id, POLICE, alert_data(alert_id))
        await tx.insert_alert(other_id, POLICE, alert_data(other_id))
        await tx.append_alert_history(alert_id, POLICE, published)
    async with store.repository.transaction() as tx:
        await tx.append_alert_history(alert_id, OTHER_POLICE, updated)
        await tx.append_alert_history(
            other_id, POLICE, new_event(ALERT_PUBLISHED, "/x", other_id, alert_data(other_id))
        )
    async with store.repository.transaction() as tx:
        history = await tx.alert_history(alert_id)
        assert await tx.alert_history(new_id()) == []
    assert [(r.revision, r.event_type, r.org_id) for r in history] == [
        (1, ALERT_PUBLISHED, POLICE),
        (2, ALERT_UPDATED, OTHER_POLICE),
    ]
    assert [r.event_id for r in history] == [published.id, updated.id]
    assert history[1].data == change and history[0].at <= history[1].at
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with store.repository.transaction() as tx:
            await tx.append_alert_history(new_id(), POLICE, published)


async def test_stored_responses_belong_to_one_organisation_and_key(
    store: Store[IntakeRepository],
) -> None:
    created = StoredResponse("hash-1", "created", {"alert_id": "a", "n": [1, 2]}, "alert", "a")
    changed = StoredResponse("hash-2", "changed", {"ok": True}, None, None)
    async with store.repository.transaction() as tx:
        await tx.lock_idempotency_key(POLICE, "report-0042")
        assert await tx.stored_response(POLICE, "report-0042") is None
        await tx.store_response(POLICE, "report-0042", created)
        await tx.store_response(OTHER_POLICE, "report-0042", changed)
    async with store.repository.transaction() as tx:
        assert await tx.stored_response(POLICE, "report-0042") == created
        assert await tx.stored_response(OTHER_POLICE, "report-0042") == changed
        assert await tx.stored_response(POLICE, "report-0043") is None
    with pytest.raises(asyncpg.UniqueViolationError):
        async with store.repository.transaction() as tx:
            await tx.store_response(POLICE, "report-0042", changed)


async def test_a_locked_key_makes_a_concurrent_request_wait_and_see_the_first_outcome(
    store: Store[IntakeRepository],
) -> None:
    first = StoredResponse("hash-1", "created", {"sighting_id": "s"}, "sighting", "s")
    locked = asyncio.Event()

    async def first_request() -> None:
        async with store.repository.transaction() as tx:
            await tx.lock_idempotency_key(POLICE, "k")
            locked.set()
            await asyncio.sleep(0.2)  # the retry arrives meanwhile
            await tx.store_response(POLICE, "k", first)

    async def retry() -> StoredResponse | None:
        await locked.wait()
        async with store.repository.transaction() as tx:
            await tx.lock_idempotency_key(POLICE, "k")
            return await tx.stored_response(POLICE, "k")

    _, seen = await asyncio.gather(first_request(), retry())
    assert seen == first


async def test_audit_entries_get_rising_ids_and_the_time_of_their_transaction(
    store: Store[IntakeRepository],
) -> None:
    alert_id, other_id = new_id(), new_id()
    async with store.repository.transaction() as tx:
        record = await tx.insert_alert(alert_id, POLICE, alert_data(alert_id))
        await tx.append_audit([entry(alert_id), entry(alert_id, "alert.read")])
        await tx.append_audit([])
    async with store.repository.transaction() as tx:
        await tx.append_audit([entry(other_id, "alert.read", OTHER_POLICE)])
    async with store.repository.transaction() as tx:
        everything = await tx.list_audit(AuditQuery(), after_id=0, limit=10)
        ids = [r.id for r in everything]
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert [r.entry for r in everything] == [
            entry(alert_id),
            entry(alert_id, "alert.read"),
            entry(other_id, "alert.read", OTHER_POLICE),
        ]
        first, second, third = everything
        assert first.at == second.at == record.created_at and third.at > first.at

        async def found(query: AuditQuery, after_id: int = 0, limit: int = 10) -> list[int]:
            return [r.id for r in await tx.list_audit(query, after_id=after_id, limit=limit)]

        assert await found(AuditQuery(org_id=OTHER_POLICE)) == [third.id]
        assert await found(AuditQuery(record_id=alert_id)) == [first.id, second.id]
        assert await found(AuditQuery(action="alert.read")) == [second.id, third.id]
        assert await found(AuditQuery(since=third.at)) == [third.id]
        assert await found(AuditQuery(until=third.at)) == [first.id, second.id]
        assert await found(AuditQuery(), after_id=first.id, limit=1) == [second.id]


async def test_emitted_events_are_validated_and_kept_with_their_topic(
    store: Store[IntakeRepository],
) -> None:
    alert_id, sighting_id = new_id(), new_id()
    published = new_event(ALERT_PUBLISHED, "/kinlink/intake/x", alert_id, alert_data(alert_id))
    sighting = {**example_data(SIGHTING_REPORTED), "sighting_id": sighting_id}
    reported = new_event(SIGHTING_REPORTED, "/kinlink/intake/x", sighting_id, sighting)
    async with store.repository.transaction() as tx:
        await tx.emit(published)
        await tx.emit(reported)
    assert await store.emitted() == [(topic(ALERTS), published), (topic(SIGHTINGS), reported)]

    broken = new_event(ALERT_PUBLISHED, "/x", alert_id, {**alert_data(alert_id), "status": "?"})
    with pytest.raises(EventValidationError):
        async with store.repository.transaction() as tx:
            await tx.insert_alert(new_id(), POLICE, alert_data(alert_id))
            await tx.emit(broken)
    with pytest.raises(asyncpg.UniqueViolationError):
        async with store.repository.transaction() as tx:
            await tx.emit(published)
    assert len(await store.emitted()) == 2
    async with store.repository.transaction() as tx:
        rows = await tx.list_alerts(
            org_id=None, status=None, updated_since=None, after=None, limit=5
        )
        assert rows == []


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("a\x00b", asyncpg.UntranslatableCharacterError),
        ("a\ud800b", asyncpg.DataError),
        ("back\\u0000slash", None),
    ],
)
async def test_only_text_postgresql_cannot_hold_is_refused(
    store: Store[IntakeRepository], text: str, refusal: type[Exception] | None
) -> None:
    alert_id = new_id()
    data = {**alert_data(alert_id), "other_names": ["x", {"note": text}]}
    if refusal is None:
        async with store.repository.transaction() as tx:
            assert (await tx.insert_alert(alert_id, POLICE, data)).data == data
        return
    with pytest.raises(refusal):
        async with store.repository.transaction() as tx:
            await tx.insert_alert(alert_id, POLICE, data)


async def test_the_pfif_feed_orders_by_entry_and_carries_links_and_provenance(
    store: Store[IntakeRepository],
) -> None:
    alert_id, sighting_id, other_id = new_id(), new_id(), new_id()
    async with store.repository.transaction() as tx:
        await tx.insert_alert(alert_id, POLICE, alert_data(alert_id))
    async with store.repository.transaction() as tx:
        await tx.insert_record(
            "sighting", sighting_id, "fr-ngo-utopia", {"sighting_id": sighting_id}
        )
        await tx.save_import(
            "finder.example.org/p1",
            "sighting",
            sighting_id,
            Provenance("finder.example.org/p1", "Finder"),
        )
    async with store.repository.transaction() as tx:
        await tx.insert_record("sighting", other_id, POLICE, {"sighting_id": other_id})
    at = datetime(2025, 5, 1, 13, tzinfo=UTC)
    review = Review(new_id(), alert_id, "sighting", sighting_id, "confirmed", "eu-inv", at)
    async with store.repository.transaction() as tx:
        await tx.save_review(review)
        await tx.save_review(
            replace(review, decision="rejected", reviewed_at=at - timedelta(hours=1))
        )
    async with store.repository.transaction() as tx:
        page = await tx.pfif_page(org_id=None, min_entry=None, skip=0, limit=10)
        # the review moved both of its records after the third one
        assert [s.record_id for s in page] == [other_id, alert_id, sighting_id]
        assert [len(s.links) for s in page] == [0, 1, 1]
        assert page[1].links[0].observation_id == sighting_id  # an older decision changed nothing
        assert page[2].provenance == Provenance("finder.example.org/p1", "Finder")
        assert page[1].entry_at == page[2].entry_at > page[0].entry_at
        own = await tx.pfif_page(org_id=POLICE, min_entry=page[1].entry_at, skip=0, limit=10)
        assert [s.record_id for s in own] == [alert_id]
        assert [
            s.record_id for s in await tx.pfif_page(org_id=None, min_entry=None, skip=1, limit=1)
        ] == [alert_id]
        assert await tx.pfif_ids([alert_id, sighting_id]) == {
            ("sighting", sighting_id): "finder.example.org/p1"
        }
        assert await tx.find_import("finder.example.org/p1", "sighting") == sighting_id
        assert await tx.find_import("finder.example.org/p1", "alert") is None
        with pytest.raises(asyncpg.UniqueViolationError):
            await tx.save_import("finder.example.org/p1", "sighting", new_id(), Provenance("x/y"))
