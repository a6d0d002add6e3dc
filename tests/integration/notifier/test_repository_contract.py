"""One contract for the notifier's store: every test runs on the in-memory fake (which the
use-case unit tests stand on) and on PostgreSQL, so the fake cannot drift from the real one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest

from services.common.audit import AuditEntry
from services.common.catalog import MATCH_REVIEWED, REVIEWS
from services.common.envelope import new_event
from services.common.outcomes import StoredResponse
from services.common.schema_registry import EventValidationError, SchemaRegistry
from services.notifier.app import MIGRATIONS
from services.notifier.config import SCHEMA
from services.notifier.domain.filters import filters_from_json
from services.notifier.domain.model import (
    ESCALATED,
    PROPOSED,
    AlertContext,
    MatchState,
    Notification,
    ObservationContext,
    Seen,
    Subscription,
    Webhook,
)
from services.notifier.postgres import PostgresNotifierRepository
from services.notifier.repository import (
    DeliveryAttempt,
    NotifierRepository,
    QueueItem,
    Review,
)
from tests.examples import example_data
from tests.integration.stores import Store, open_store, topic
from tests.unit.notifier.fakes import InMemoryNotifierRepository

POLICE, INVESTIGATORS, OTHERS = "it-ps-imperia", "eu-investigations", "fr-pn-ocrvp"
T0 = datetime(2025, 4, 21, 7, 45, tzinfo=UTC)
CET = timezone(timedelta(hours=2))
VENTIMIGLIA = Seen(T0 - timedelta(days=9), 43.7915, 7.6083, "Ventimiglia", "ITA")
PARIS = Seen(T0, 48.8809, 2.3553, "Paris Gare du Nord", "FRA")
HOOK = Webhook("https://hooks.example.org/kinlink", "whsec_test")
FILTERS = {
    "issuing_countries": ["ITA"],
    "observation_types": ["sighting"],
    "min_score": 0.5,
    "region": {"centre": {"lat": 43.79, "lon": 7.61}, "radius_km": 300.0},
}


@pytest.fixture(params=["memory", "postgres"])
async def store(
    request: pytest.FixtureRequest, registry: SchemaRegistry
) -> AsyncIterator[Store[NotifierRepository]]:
    async with open_store(
        request,
        SCHEMA,
        MIGRATIONS,
        memory=lambda: InMemoryNotifierRepository(registry, topic),
        postgres=lambda pool: PostgresNotifierRepository(pool, registry, topic),
    ) as opened:
        yield opened


def new_id() -> str:
    return str(uuid.uuid4())


def by_uuid(ids: list[str]) -> list[str]:
    return sorted(ids, key=uuid.UUID)


def subscription(org: str = INVESTIGATORS, *, webhook: Webhook | None = HOOK, **changes: Any
                 ) -> Subscription:  # fmt: skip
    made = Subscription(
        id=new_id(),
        org_id=org,
        org_kind="police" if org in (POLICE, OTHERS) else "investigator",
        created_by=f"{org}/officer-1",
        name="Central Mediterranean",
        filters=filters_from_json(FILTERS),
        webhook=webhook,
    )
    return replace(made, **changes)


def alert(alert_id: str, authority: str = POLICE) -> AlertContext:
    return AlertContext(alert_id, authority, "ITA", "missing_protected", "active", VENTIMIGLIA)


def sighting(obs_id: str) -> ObservationContext:
    return ObservationContext("sighting", obs_id, "fr-hotline-116000", PARIS)


def match(alert_id: str | None = None, obs_id: str | None = None, **changes: Any) -> MatchState:
    made = MatchState(
        match_id=new_id(),
        alert_id=alert_id or new_id(),
        obs_type="sighting",
        obs_id=obs_id or new_id(),
        revision=1,
        status="proposed",
        score=0.9,
        explanation=[{"signal": "name", "contribution": 3.5, "detail": "full"}],
        engine_version="test-engine",
        first_proposed_at=T0,
        changed_at=T0,
    )
    return replace(made, **changes)


def note(
    match_id: str, org: str = POLICE, subscription_id: str | None = None, kind: str = PROPOSED
) -> Notification:
    nid = new_id()
    return Notification(nid, org, subscription_id, match_id, kind, {"id": nid, "kind": kind})


def attempt(notification_id: str, subscription_id: str, n: int, **changes: Any) -> DeliveryAttempt:
    made = DeliveryAttempt(notification_id, subscription_id, n, T0, 503, None, 12.5)
    return replace(made, **changes)


def audit(record_id: str, action: str = "subscription.create") -> AuditEntry:
    return AuditEntry(
        INVESTIGATORS, "investigator", "eu-investigations/officer-1", action, "subscription",
        record_id, "req-1",
    )  # fmt: skip


async def audit_log(store: Store[NotifierRepository]) -> list[tuple[datetime, AuditEntry]]:
    """What the audit log holds (the port only appends to it), oldest first."""
    if store.kind == "memory":
        assert isinstance(store.repository, InMemoryNotifierRepository)
        return [(row.at, row.entry) for row in store.repository.tables.audit]
    rows = await store.pool.fetch(
        "SELECT at, org_id, org_kind, subject, action, record_type, record_id, request_id"
        f' FROM "{SCHEMA}".audit_log ORDER BY id'
    )
    return [(row["at"], AuditEntry(*list(row.values())[1:])) for row in rows]


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


async def test_a_transaction_that_raises_leaves_nothing_behind(
    store: Store[NotifierRepository],
) -> None:
    kept = subscription()
    async with store.repository.transaction() as tx:
        kept = await tx.save_subscription(kept)
        first = await tx.add_notification(note(new_id(), INVESTIGATORS, kept.id))
    assert first is not None
    reviewed = example_data(MATCH_REVIEWED)
    lost_match = match()
    with pytest.raises(Boom):
        async with store.repository.transaction() as tx:
            await tx.lock_routing()
            lost = await tx.add_notification(note(lost_match.match_id))
            await tx.save_subscription(replace(kept, name="renamed", webhook=None))
            await tx.save_subscription(subscription())
            await tx.save_alert_context(alert(lost_match.alert_id))
            await tx.save_observation_context(sighting(lost_match.obs_id))
            await tx.save_match(lost_match)
            await tx.enqueue_delivery(first.id, kept.id, T0)
            await tx.record_attempt(attempt(first.id, kept.id, 1))
            await tx.add_review(Review(lost_match.match_id, 1, "confirmed", "x", POLICE, T0))
            await tx.store_response(POLICE, "k-1", StoredResponse("h", "created", {}, None, None))
            await tx.append_audit([audit(kept.id)])
            await tx.emit(new_event(MATCH_REVIEWED, "/test", reviewed["match_id"], reviewed))
            raise Boom
    assert lost is not None
    async with store.repository.transaction() as tx:
        assert await tx.all_subscriptions() == [kept]
        assert await tx.alert_context(lost_match.alert_id) is None
        assert await tx.observation_context("sighting", lost_match.obs_id) is None
        assert await tx.match(lost_match.match_id) is None
        assert await tx.notifications(POLICE, after_seq=0, limit=10) == []
        assert await tx.claim_due_deliveries(T0, T0 + timedelta(minutes=2), 10) == []
        assert await tx.delivery_attempts(kept.id, 10) == []
        assert await tx.reviews(lost_match.match_id) == []
        assert await tx.stored_response(POLICE, "k-1") is None
        after = await tx.add_notification(note(lost_match.match_id))
    assert after is not None and after.seq > lost.seq > first.seq  # a sequence: never reused
    assert await store.emitted() == []
    assert await audit_log(store) == []
    for late in (tx.all_subscriptions(), tx.lock_routing()):
        with pytest.raises(asyncpg.InterfaceError):  # the transaction is over: so is its handle
            await late


async def test_a_notification_is_stored_once_with_the_next_seq(
    store: Store[NotifierRepository],
) -> None:
    match_id, subscription_id = new_id(), new_id()
    first = note(match_id, INVESTIGATORS, subscription_id.upper())
    second = note(match_id)
    async with store.repository.transaction() as tx:
        stored = await tx.add_notification(first)
        other = await tx.add_notification(second)
    first.payload["kind"] = "changed after the insert"
    assert stored is not None and other is not None
    assert stored == replace(
        first,
        subscription_id=subscription_id,
        payload={"id": first.id, "kind": PROPOSED},
        seq=stored.seq,
        created_at=stored.created_at,
    )
    assert 0 < stored.seq < other.seq
    assert stored.created_at is not None and stored.created_at.utcoffset() == timedelta(0)
    assert other.created_at == stored.created_at  # the transaction's time
    async with store.repository.transaction() as tx:
        assert await tx.add_notification(replace(second, id=second.id.upper())) is None
        assert await tx.add_notification(replace(first, kind=ESCALATED)) is None
        later = await tx.add_notification(note(match_id))
        assert later is not None and later.seq > other.seq
        assert later.created_at is not None and later.created_at > stored.created_at
        assert await tx.notifications(POLICE, after_seq=0, limit=10) == [other, later]


async def test_notifications_are_read_per_organisation_in_seq_order_after_a_seq(
    store: Store[NotifierRepository],
) -> None:
    mine, theirs = new_id(), new_id()
    match_id = new_id()
    async with store.repository.transaction() as tx:
        added = [
            await tx.add_notification(n)
            for n in (
                note(match_id, INVESTIGATORS, mine),
                note(match_id, OTHERS, theirs),
                note(match_id, INVESTIGATORS, None),
                note(new_id(), INVESTIGATORS, mine),
            )
        ]
    a, b, c, d = (n for n in added if n is not None)

    async def seqs(org: str, **query: Any) -> list[int]:
        args: dict[str, Any] = {"after_seq": 0, "limit": 10, **query}
        async with store.repository.transaction() as tx:
            return [n.seq for n in await tx.notifications(org, **args)]

    assert await seqs(INVESTIGATORS) == [a.seq, c.seq, d.seq]
    assert await seqs(INVESTIGATORS, after_seq=a.seq) == [c.seq, d.seq]
    assert await seqs(INVESTIGATORS, limit=2) == [a.seq, c.seq]
    assert await seqs(INVESTIGATORS, subscription_id=mine.upper()) == [a.seq, d.seq]
    assert await seqs(INVESTIGATORS, subscription_id=theirs) == []
    assert await seqs(OTHERS) == [b.seq]
    assert await seqs(POLICE) == []
    assert await seqs(INVESTIGATORS, after_seq=d.seq) == []


async def test_the_latest_notification_and_everyone_told_of_a_match(
    store: Store[NotifierRepository],
) -> None:
    match_id, other_match = new_id(), new_id()
    subs = by_uuid([new_id(), new_id()])
    revisions = [
        note(match_id, POLICE),
        note(match_id, INVESTIGATORS, subs[1]),
        note(match_id, INVESTIGATORS, subs[0]),
        note(match_id, POLICE),  # a later revision to the same recipient
        note(match_id, INVESTIGATORS, None),
        note(other_match, OTHERS, None),
    ]
    async with store.repository.transaction() as tx:
        for n in revisions:
            await tx.add_notification(n)
    async with store.repository.transaction() as tx:
        assert await tx.latest_notification_id(match_id, POLICE, None) == revisions[3].id
        assert await tx.latest_notification_id(match_id.upper(), INVESTIGATORS, subs[0]) == (
            revisions[2].id
        )
        assert await tx.latest_notification_id(match_id, INVESTIGATORS, None) == revisions[4].id
        assert await tx.latest_notification_id(match_id, OTHERS, None) is None
        assert await tx.latest_notification_id(match_id, POLICE, subs[0]) is None
        assert await tx.recipients_of(match_id) == [  # once each, by organisation, NULL last
            (INVESTIGATORS, subs[0]),
            (INVESTIGATORS, subs[1]),
            (INVESTIGATORS, None),
            (POLICE, None),
        ]
        assert await tx.recipients_of(new_id()) == []


async def test_a_subscription_is_replaced_keeping_its_owner_and_creation_time(
    store: Store[NotifierRepository],
) -> None:
    wanted = subscription()
    async with store.repository.transaction() as tx:
        created = await tx.save_subscription(replace(wanted, id=wanted.id.upper()))
    assert created == replace(wanted, created_at=created.created_at, updated_at=created.created_at)
    assert created.created_at is not None and created.created_at.utcoffset() == timedelta(0)
    disabled_at = datetime(2025, 4, 21, 9, 0, tzinfo=CET)
    change = replace(
        created,
        org_id=OTHERS,  # never changes hands
        org_kind="police",
        created_by="someone else",
        name="Ventimiglia only",
        filters=filters_from_json({"region": {"bbox": [7.4, 43.6, 7.8, 43.9]}, "min_score": 1}),
        escalation_contact=True,
        webhook=Webhook("https://hooks.example.org/other", "whsec_new", 3, disabled_at),
    )
    async with store.repository.transaction() as tx:
        changed = await tx.save_subscription(change)
        assert await tx.subscription(wanted.id) == changed
        removed = await tx.save_subscription(replace(changed, webhook=None))
    assert changed.created_at == created.created_at
    assert changed.updated_at is not None and created.updated_at is not None
    assert changed.updated_at > created.updated_at
    assert removed.updated_at is not None and removed.updated_at > changed.updated_at
    assert (changed.org_id, changed.org_kind, changed.created_by) == (
        INVESTIGATORS, "investigator", f"{INVESTIGATORS}/officer-1",
    )  # fmt: skip
    assert changed.name == "Ventimiglia only" and changed.escalation_contact
    assert changed.filters == filters_from_json({"region": {"bbox": [7.4, 43.6, 7.8, 43.9]},
                                                 "min_score": 1.0})  # fmt: skip
    assert changed.webhook == Webhook("https://hooks.example.org/other", "whsec_new", 3,
                                      disabled_at.astimezone(UTC))  # fmt: skip
    assert removed.webhook is None
    async with store.repository.transaction() as tx:
        assert await tx.subscription(wanted.id) == removed
        assert await tx.subscription(new_id()) is None


async def test_subscriptions_are_listed_oldest_first_and_per_organisation(
    store: Store[NotifierRepository],
) -> None:
    together = by_uuid([new_id(), new_id()])
    async with store.repository.transaction() as tx:  # one transaction: one created_at
        for sid in reversed(together):
            await tx.save_subscription(subscription(id=sid))
    async with store.repository.transaction() as tx:
        police = await tx.save_subscription(subscription(POLICE, webhook=None))
    async with store.repository.transaction() as tx:
        later = await tx.save_subscription(subscription())
        await tx.save_subscription(subscription(id=together[0], name="renamed"))  # keeps its place
    async with store.repository.transaction() as tx:
        assert [s.id for s in await tx.subscriptions_of(INVESTIGATORS)] == [*together, later.id]
        assert await tx.subscriptions_of(POLICE) == [police]
        assert await tx.subscriptions_of(OTHERS) == []
        everyone = await tx.all_subscriptions()
    assert [s.id for s in everyone] == [*together, police.id, later.id]
    assert everyone[0].name == "renamed"


async def test_context_of_an_alert_is_replaced_and_of_an_observation_kept_as_first_told(
    store: Store[NotifierRepository],
) -> None:
    alert_id, obs_id = new_id(), new_id()
    unplaced = Seen(T0, place="somewhere", country="FRA")  # without a point: no place kept
    async with store.repository.transaction() as tx:
        await tx.save_alert_context(alert(alert_id.upper()))
        first = await tx.alert_context(alert_id)
        await tx.save_alert_context(replace(alert(alert_id), category="missing", status="resolved",
                                            last_seen=unplaced))  # fmt: skip
        await tx.save_observation_context(sighting(obs_id))
        await tx.save_observation_context(replace(sighting(obs_id), org_id="x", seen=unplaced))
        await tx.save_observation_context(
            ObservationContext("registration", obs_id, "it-centre-roja", Seen(None))
        )
    assert first == alert(alert_id)
    async with store.repository.transaction() as tx:
        assert await tx.alert_context(alert_id) == replace(
            alert(alert_id), category="missing", status="resolved", last_seen=Seen(T0)
        )
        assert await tx.observation_context("sighting", obs_id) == sighting(obs_id)
        assert await tx.observation_context("registration", obs_id) == ObservationContext(
            "registration", obs_id, "it-centre-roja", Seen(None)
        )
        assert await tx.alert_context(new_id()) is None
        assert await tx.observation_context("sighting", new_id()) is None


async def test_a_match_reads_back_as_saved_and_each_save_replaces_it(
    store: Store[NotifierRepository],
) -> None:
    saved = match()
    async with store.repository.transaction() as tx:
        await tx.save_match(replace(saved, match_id=saved.match_id.upper()))
        assert await tx.match(saved.match_id) == saved
    reviewed = replace(
        saved,
        revision=2,
        status="withdrawn",
        score=None,
        explanation=[],
        changed_at=T0.astimezone(CET) + timedelta(hours=1),
        routed_revision=2,
        decision="rejected",
        reviewed_at=T0 + timedelta(minutes=5),
        escalated_at=T0 + timedelta(hours=12),
    )
    async with store.repository.transaction() as tx:
        await tx.save_match(reviewed)
        found = await tx.match(saved.match_id)
        assert await tx.match(new_id()) is None
    assert found == replace(reviewed, changed_at=T0 + timedelta(hours=1))
    assert found is not None and found.changed_at.utcoffset() == timedelta(0)
    for broken in (replace(saved, status="maybe"), replace(saved, decision="perhaps")):
        with pytest.raises(asyncpg.CheckViolationError):
            async with store.repository.transaction() as tx:
                await tx.save_match(broken)


async def test_unrouted_matches_of_an_alert_or_an_observation_by_match_id(
    store: Store[NotifierRepository],
) -> None:
    alert_id, obs_id = new_id(), new_id()
    ids = by_uuid([new_id() for _ in range(4)])
    matches = [
        match(alert_id, match_id=ids[3]),
        match(alert_id, match_id=ids[1], revision=2, routed_revision=1),  # a revision to route
        match(alert_id, match_id=ids[0], revision=2, routed_revision=2),  # routed
        match(obs_id=obs_id, match_id=ids[2]),
        match(alert_id, obs_id, obs_type="registration"),  # another observation type
    ]
    async with store.repository.transaction() as tx:
        for m in matches:
            await tx.save_match(m)

    async def unrouted(**query: Any) -> list[str]:
        async with store.repository.transaction() as tx:
            return [m.match_id for m in await tx.unrouted_matches(**query)]

    by_alert = await unrouted(alert_id=alert_id.upper())
    assert by_alert == by_uuid([ids[1], ids[3], matches[4].match_id])
    assert await unrouted(observation=("sighting", obs_id)) == [ids[2]]
    assert await unrouted(observation=("registration", obs_id)) == [matches[4].match_id]
    assert await unrouted(alert_id=new_id(), observation=("sighting", obs_id)) == [ids[2]]
    assert await unrouted() == []
    async with store.repository.transaction() as tx:
        assert await tx.unrouted_matches(observation=("sighting", obs_id)) == [matches[3]]


async def test_overdue_matches_are_open_unescalated_and_oldest_first(
    store: Store[NotifierRepository],
) -> None:
    deadline = T0 + timedelta(hours=1)
    same_time = by_uuid([new_id(), new_id()])
    overdue = [
        match(first_proposed_at=T0 - timedelta(hours=2)),
        match(match_id=same_time[0], first_proposed_at=T0, revision=3),
        match(match_id=same_time[1], first_proposed_at=T0),
        match(first_proposed_at=deadline, changed_at=deadline),  # at the deadline
    ]
    not_overdue = [
        match(first_proposed_at=deadline + timedelta(microseconds=1)),
        match(first_proposed_at=T0, status="withdrawn"),
        match(first_proposed_at=T0, decision="confirmed", reviewed_at=T0),
        match(first_proposed_at=T0, escalated_at=T0 + timedelta(hours=12)),
    ]
    async with store.repository.transaction() as tx:
        for m in [*not_overdue, *reversed(overdue)]:
            await tx.save_match(m)
        assert await tx.overdue_matches(deadline, 10) == overdue
        assert await tx.overdue_matches(deadline, 2) == overdue[:2]
        assert await tx.overdue_matches(T0 - timedelta(hours=3), 10) == []


async def test_the_queue_holds_matches_the_organisation_was_told_of_most_urgent_first(
    store: Store[NotifierRepository],
) -> None:
    alert_id, obs_id = new_id(), new_id()
    day = timedelta(days=1)
    tied = by_uuid([new_id(), new_id()])
    escalated = match(alert_id, obs_id, score=0.3, first_proposed_at=T0 - day,
                      escalated_at=T0 + timedelta(hours=11), changed_at=T0 - day)  # fmt: skip
    high = match(alert_id, score=0.95, changed_at=T0 - day)
    older = match(alert_id, obs_id, first_proposed_at=T0 - timedelta(hours=1))
    open_tied = [match(alert_id, obs_id, match_id=m, changed_at=T0 + day) for m in reversed(tied)]
    unscored = match(score=None, changed_at=T0 + 2 * day)  # and its context is unknown
    withdrawn = match(alert_id, obs_id, status="withdrawn", score=0.99, changed_at=T0 + 3 * day)
    reviewed = match(alert_id, obs_id, decision="confirmed", score=0.99,
                     first_proposed_at=T0 - day, escalated_at=T0, changed_at=T0)  # fmt: skip
    told_others = match(alert_id, obs_id, changed_at=T0 + timedelta(hours=9))
    mine = [escalated, high, older, *open_tied, unscored, withdrawn, reviewed]
    async with store.repository.transaction() as tx:
        await tx.save_alert_context(alert(alert_id))
        await tx.save_observation_context(sighting(obs_id))
        for m in (*reversed(mine), told_others):
            await tx.save_match(m)
        for m in mine:
            await tx.add_notification(note(m.match_id, INVESTIGATORS, new_id()))
        await tx.add_notification(note(withdrawn.match_id, INVESTIGATORS, None))  # told twice
        await tx.add_notification(note(told_others.match_id, OTHERS))
        await tx.save_match(match(alert_id))  # nobody was told

    async def queued(org: str = INVESTIGATORS, *, open_only: bool = False, limit: int = 10
                     ) -> list[QueueItem]:  # fmt: skip
        async with store.repository.transaction() as tx:
            return await tx.queue(org, open_only=open_only, limit=limit)

    # escalated and undecided, then open, then by score, then the oldest proposal first
    expected = [escalated, high, older, *sorted(open_tied, key=lambda m: uuid.UUID(m.match_id)),
                unscored, reviewed, withdrawn]  # fmt: skip
    everything = await queued()
    assert [i.match for i in everything] == expected
    assert everything[0] == QueueItem(escalated, alert(alert_id), sighting(obs_id))
    assert everything[1].observation is None
    assert everything[5] == QueueItem(unscored, None, None)
    assert [i.match for i in await queued(open_only=True)] == expected[:6]
    assert [i.match for i in await queued(open_only=True, limit=2)] == [escalated, high]
    assert [i.match for i in await queued(limit=7)] == expected[:7]
    assert [i.match for i in await queued(OTHERS)] == [told_others]
    assert await queued(POLICE) == []


async def _subscribed(store: Store[NotifierRepository], *subs: Subscription) -> list[Notification]:
    """The subscriptions saved, each with one notification of its own."""
    out = []
    async with store.repository.transaction() as tx:
        for s in subs:
            await tx.save_subscription(s)
            added = await tx.add_notification(note(new_id(), s.org_id, s.id))
            assert added is not None
            out.append(added)
    return out


async def _claim(store: Store[NotifierRepository], now: datetime, limit: int = 10) -> list[str]:
    async with store.repository.transaction() as tx:
        due = await tx.claim_due_deliveries(now, now + timedelta(minutes=2), limit)
    return sorted(d.notification.id for d in due)


async def test_due_deliveries_on_enabled_endpoints_are_claimed_with_a_lease(
    store: Store[NotifierRepository],
) -> None:
    hooked, plain = subscription(), subscription(webhook=None)
    disabled = subscription(webhook=replace(HOOK, failures=5, disabled_at=T0))
    now_due, later, unsent, waiting = await _subscribed(store, hooked, hooked, plain, disabled)
    ghost = new_id()  # a delivery of a notification that is not stored
    async with store.repository.transaction() as tx:
        await tx.enqueue_delivery(now_due.id, hooked.id, T0 - timedelta(seconds=1))
        await tx.enqueue_delivery(now_due.id, hooked.id, T0 + timedelta(days=1))  # kept as was
        await tx.enqueue_delivery(later.id, hooked.id, T0 + timedelta(minutes=1))
        await tx.enqueue_delivery(unsent.id, plain.id, T0)
        await tx.enqueue_delivery(waiting.id, disabled.id, T0)
        await tx.enqueue_delivery(ghost, hooked.id, T0 - timedelta(seconds=2))
        (due,) = await tx.claim_due_deliveries(T0, T0 + timedelta(minutes=2), 10)
    assert (due.notification, due.attempts) == (now_due, 0)
    assert (due.subscription.id, due.subscription.webhook) == (hooked.id, HOOK)
    assert await _claim(store, T0 + timedelta(minutes=1)) == [later.id]  # the first is leased
    assert await _claim(store, T0 + timedelta(minutes=2)) == [now_due.id]  # its lease expired
    assert await _claim(store, T0 + timedelta(minutes=4), limit=1) == [later.id]  # due first
    assert await _claim(store, T0 + timedelta(minutes=9)) == sorted([now_due.id, later.id])


async def test_failures_disable_an_endpoint_and_enabling_sends_what_waited_at_once(
    store: Store[NotifierRepository],
) -> None:
    hook, other = subscription(), subscription()
    first, second, third = await _subscribed(store, hook, hook, other)
    async with store.repository.transaction() as tx:
        for n, s in ((first, hook), (second, hook), (third, other)):
            await tx.enqueue_delivery(n.id, s.id, T0)
        retry = T0 + timedelta(days=2)  # long after the endpoint is enabled again
        results = [
            await tx.failed(first.id, retry, 3, T0),
            await tx.failed(second.id, retry, 3, T0 + timedelta(seconds=1)),
            await tx.failed(first.id, retry, 3, T0 + timedelta(seconds=2)),
            await tx.failed(first.id, retry, 3, T0 + timedelta(seconds=3)),
            await tx.failed(new_id(), T0, 1, T0),  # nothing to fail
        ]
        disabled = await tx.subscription(hook.id)
    assert results == [False, False, True, True, False]
    assert disabled is not None and disabled.webhook is not None
    assert disabled.webhook.failures == 4
    assert disabled.webhook.disabled_at == T0 + timedelta(seconds=2)  # the first time it tripped
    assert await _claim(store, T0 + timedelta(hours=2)) == [third.id]  # disabled: nothing sent
    async with store.repository.transaction() as tx:
        await tx.enable_webhook(hook.id, T0 + timedelta(hours=3))
        enabled = await tx.subscription(hook.id)
        due = await tx.claim_due_deliveries(T0 + timedelta(hours=3), T0 + timedelta(hours=4), 10)
    assert enabled is not None and enabled.webhook is not None
    assert (enabled.webhook.failures, enabled.webhook.disabled_at) == (0, None)
    assert sorted((d.notification.id, d.attempts) for d in due) == sorted(
        [(first.id, 3), (second.id, 1), (third.id, 0)]  # the third's lease ran out too
    )


async def test_a_delivered_notification_is_not_sent_again_and_resets_the_failures(
    store: Store[NotifierRepository],
) -> None:
    hook = subscription()
    sent, pending, other = await _subscribed(store, hook, hook, hook)
    async with store.repository.transaction() as tx:
        for n in (sent, pending, other):
            await tx.enqueue_delivery(n.id, hook.id, T0)
        assert not await tx.failed(sent.id, T0, 5, T0)
        assert not await tx.failed(pending.id, T0, 5, T0)
        await tx.delivered(sent.id, T0 + timedelta(seconds=1))
        await tx.delivered(new_id(), T0)  # nothing to mark
        reset = await tx.subscription(hook.id)
        assert reset is not None and reset.webhook is not None and reset.webhook.failures == 0
        await tx.enable_webhook(hook.id, T0 + timedelta(minutes=1))
    assert await _claim(store, T0 + timedelta(minutes=1)) == sorted([pending.id, other.id])
    async with store.repository.transaction() as tx:  # deleting drops only pending deliveries
        await tx.delete_subscription(hook.id.upper())
        assert await tx.subscription(hook.id) is None
        await tx.delete_subscription(new_id())
        await tx.save_subscription(hook)  # the same id again: nothing is left to send
    assert await _claim(store, T0 + timedelta(days=1)) == []


async def test_delivery_attempts_come_newest_first(store: Store[NotifierRepository]) -> None:
    hook, other = subscription(), subscription()
    n1, n2 = new_id(), new_id()
    log = [
        attempt(n1, hook.id, 1),
        attempt(n1, hook.id, 2, at=T0.astimezone(CET) + timedelta(seconds=2), error="TimeoutError",
                status_code=None),
        attempt(n2, other.id, 1, status_code=204),
        attempt(n1, hook.id.upper(), 3, status_code=204, duration_ms=7),
    ]  # fmt: skip
    async with store.repository.transaction() as tx:
        for a in log:
            await tx.record_attempt(a)
        newest = await tx.delivery_attempts(hook.id, 2)
        assert await tx.delivery_attempts(other.id, 10) == [log[2]]
        assert await tx.delivery_attempts(new_id(), 10) == []
    assert newest == [
        replace(log[3], subscription_id=hook.id, duration_ms=7.0),
        replace(log[1], at=T0 + timedelta(seconds=2)),
    ]
    assert newest[1].at.utcoffset() == timedelta(0)


async def test_reviews_come_oldest_first(store: Store[NotifierRepository]) -> None:
    match_id = new_id()
    first = Review(match_id, 1, "confirmed", "eu-investigations/officer-1", INVESTIGATORS, T0)
    override = replace(first, decision="rejected", at=T0.astimezone(CET) - timedelta(hours=1),
                       override_reason="DNA says otherwise")  # fmt: skip
    async with store.repository.transaction() as tx:
        await tx.add_review(replace(first, match_id=match_id.upper()))
        await tx.add_review(override)
        await tx.add_review(replace(first, match_id=new_id()))
    async with store.repository.transaction() as tx:
        assert await tx.reviews(match_id) == [first, replace(override, at=T0 - timedelta(hours=1))]
        assert await tx.reviews(new_id()) == []
    with pytest.raises(asyncpg.CheckViolationError):
        async with store.repository.transaction() as tx:
            await tx.add_review(replace(first, decision="maybe"))


async def test_stored_responses_belong_to_one_organisation_and_key(
    store: Store[NotifierRepository],
) -> None:
    created = StoredResponse("hash-1", "created", {"id": "s", "n": [1, 2]}, "subscription", "s")
    unchanged = StoredResponse("hash-2", "read", {"decision": "confirmed"}, "match", "m")
    async with store.repository.transaction() as tx:
        await tx.lock_idempotency_key(INVESTIGATORS, "k")
        assert await tx.stored_response(INVESTIGATORS, "k") is None
        await tx.store_response(INVESTIGATORS, "k", created)
        await tx.store_response(POLICE, "k", unchanged)  # a review that changed nothing
    async with store.repository.transaction() as tx:
        assert await tx.stored_response(INVESTIGATORS, "k") == created
        assert await tx.stored_response(POLICE, "k") == unchanged
        assert await tx.stored_response(INVESTIGATORS, "other") is None
    with pytest.raises(asyncpg.UniqueViolationError):
        async with store.repository.transaction() as tx:
            await tx.store_response(INVESTIGATORS, "k", unchanged)


async def test_audit_entries_are_kept_in_order_with_their_transactions_time(
    store: Store[NotifierRepository],
) -> None:
    one, two = new_id(), new_id()
    async with store.repository.transaction() as tx:
        await tx.append_audit([audit(one), audit(one, "subscription.update")])
        await tx.append_audit([])
    async with store.repository.transaction() as tx:
        await tx.append_audit([audit(two, "match.confirmed")])
    log = await audit_log(store)
    assert [entry for _, entry in log] == [
        audit(one), audit(one, "subscription.update"), audit(two, "match.confirmed"),
    ]  # fmt: skip
    (first, _), (second, _), (third, _) = log
    assert first == second < third


async def test_emitted_events_are_validated_and_kept_with_their_topic(
    store: Store[NotifierRepository],
) -> None:
    data = example_data(MATCH_REVIEWED)
    reviewed = new_event(MATCH_REVIEWED, "/kinlink/notifier", data["match_id"], data)
    async with store.repository.transaction() as tx:
        await tx.emit(reviewed)
    assert await store.emitted() == [(topic(REVIEWS), reviewed)]
    broken = new_event(MATCH_REVIEWED, "/x", data["match_id"], {**data, "decision": "maybe"})
    with pytest.raises(EventValidationError):
        async with store.repository.transaction() as tx:
            await tx.add_review(Review(data["match_id"], 1, "confirmed", "x", POLICE, T0))
            await tx.emit(broken)
    with pytest.raises(asyncpg.UniqueViolationError):  # an event id is written once
        async with store.repository.transaction() as tx:
            await tx.emit(reviewed)
    assert await store.emitted() == [(topic(REVIEWS), reviewed)]
    async with store.repository.transaction() as tx:
        assert await tx.reviews(data["match_id"]) == []


async def test_the_routing_lock_makes_a_concurrent_router_wait_for_the_commit(
    store: Store[NotifierRepository],
) -> None:
    locked = asyncio.Event()
    first = note(new_id())

    async def router() -> None:
        async with store.repository.transaction() as tx:
            await tx.lock_routing()
            locked.set()
            await asyncio.sleep(0.2)  # the other router arrives meanwhile
            await tx.add_notification(first)

    async def other_router() -> list[Notification]:
        await locked.wait()
        async with store.repository.transaction() as tx:
            await tx.lock_routing()
            return await tx.notifications(POLICE, after_seq=0, limit=10)

    _, seen = await asyncio.gather(router(), other_router())
    assert [n.id for n in seen] == [first.id]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"name": "a\x00b"}, asyncpg.DataError),
        ({"name": "a\ud800b"}, asyncpg.DataError),
        ({"id": "not-a-uuid"}, asyncpg.DataError),
        ({"name": "back\\u0000slash ünïcode"}, None),
    ],
)
async def test_only_what_postgresql_can_hold_is_stored(
    store: Store[NotifierRepository], change: dict[str, Any], refusal: type[Exception] | None
) -> None:
    """The consumer dead-letters an event whose text the store refuses (asyncpg.DataError)."""
    wanted = subscription(**change)
    if refusal is None:
        async with store.repository.transaction() as tx:
            assert (await tx.save_subscription(wanted)).name == wanted.name
        return
    with pytest.raises(refusal):
        async with store.repository.transaction() as tx:
            await tx.save_subscription(wanted)
    with pytest.raises(asyncpg.DataError):
        async with store.repository.transaction() as tx:
            await tx.add_notification(replace(note(new_id()), payload={"note": "a\x00b"}))
    with pytest.raises(asyncpg.DataError):
        async with store.repository.transaction() as tx:
            await tx.alert_context("not-a-uuid")
