"""Subscriptions belong to their organisation: made, read, changed and deleted by it alone,
refused field by field when a body breaks a rule; a webhook's secret is shown only when the
endpoint is set, and an endpoint disabled by failures is re-enabled by its owner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.common.errors import InvalidInput, NotAllowed, NotFound
from services.common.outcomes import Effect
from services.notifier.repository import DeliveryAttempt
from services.notifier.subscriptions import webhook_url_problem
from tests.integration.notifier import events
from tests.unit.intake.callers import caller, keyed
from tests.unit.notifier.world import INVESTIGATOR, OTHER_INVESTIGATOR, POLICE, Notifier

BODY: dict[str, Any] = {
    "name": "Central Mediterranean",
    "filters": {
        "issuing_countries": ["ITA"],
        "region": {"centre": {"lat": 43.79, "lon": 7.61}, "radius_km": 300},
        "min_score": 0.4,
    },
    "escalation_contact": True,
    "webhook": {"url": "https://hooks.example.org/kinlink"},
}


def _actions(notifier: Notifier) -> list[tuple[str, str]]:
    return [(a.entry.action, a.entry.record_id) for a in notifier.repo.tables.audit]


async def test_the_owner_creates_lists_reads_changes_and_deletes_it(notifier: Notifier) -> None:
    rules = notifier.handlers.subscriptions
    created = await rules.create(INVESTIGATOR, BODY, None)
    assert created.effect is Effect.CREATED and created.record is not None
    body = created.body
    sid = body["id"]
    assert body["organisation_id"] == "eu-investigations" and body["escalation_contact"]
    assert body["filters"] == BODY["filters"]
    assert body["webhook"]["url"] == BODY["webhook"]["url"]
    assert body["webhook"]["secret"].startswith("whsec_")  # shown once, at creation
    assert body["webhook"]["enabled"] and body["webhook"]["consecutive_failures"] == 0
    assert body["created_at"] == body["updated_at"]

    listed = (await rules.list(INVESTIGATOR)).body["items"]
    read = (await rules.read(INVESTIGATOR, sid.upper())).body
    without_secret = {
        **body,
        "webhook": {k: v for k, v in body["webhook"].items() if k != "secret"},
    }
    assert listed == [read] == [without_secret]

    renamed = await rules.update(INVESTIGATOR, sid, {"name": "Liguria", "filters": {}})
    assert renamed.effect is Effect.CHANGED
    assert (renamed.body["name"], renamed.body["filters"]) == ("Liguria", {})
    assert "secret" not in renamed.body["webhook"]
    assert renamed.body["created_at"] == body["created_at"]
    assert renamed.body["updated_at"] > body["updated_at"]
    moved = await rules.update(INVESTIGATOR, sid, {"webhook": {"url": "https://new.example.org"}})
    secret = moved.body["webhook"]["secret"]  # a new endpoint, a new secret, shown once
    assert secret.startswith("whsec_") and secret != body["webhook"]["secret"]
    dropped = await rules.update(INVESTIGATOR, sid, {"webhook": None})
    assert dropped.body["webhook"] is None

    deleted = await rules.delete(INVESTIGATOR, sid)
    assert deleted.effect is Effect.DELETED and deleted.body is None
    with pytest.raises(NotFound):
        await rules.read(INVESTIGATOR, sid)
    assert (await rules.list(INVESTIGATOR)).body["items"] == []
    assert _actions(notifier) == [
        ("subscription.create", sid),
        ("subscription.update", sid),
        ("subscription.update", sid),
        ("subscription.update", sid),
        ("subscription.delete", sid),
    ]


async def test_another_organisation_can_neither_see_nor_change_it(notifier: Notifier) -> None:
    rules = notifier.handlers.subscriptions
    sid = (await rules.create(INVESTIGATOR, BODY, None)).body["id"]
    attempts = [
        rules.read(OTHER_INVESTIGATOR, sid),
        rules.update(OTHER_INVESTIGATOR, sid, {"name": "mine now"}),
        rules.delete(OTHER_INVESTIGATOR, sid),
        rules.enable_webhook(OTHER_INVESTIGATOR, sid),
        rules.deliveries(OTHER_INVESTIGATOR, sid, 10),
        rules.read(INVESTIGATOR, "not-a-subscription"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):  # not even told that it exists
            await attempt
    assert (await rules.list(OTHER_INVESTIGATOR)).body["items"] == []
    assert (await rules.read(INVESTIGATOR, sid)).body["name"] == BODY["name"]
    assert _actions(notifier) == [("subscription.create", sid)]


@pytest.mark.parametrize("kind", ["reception_centre", "ngo", "hotline", "auditor"])
async def test_only_investigators_and_police_subscribe(notifier: Notifier, kind: str) -> None:
    rules = notifier.handlers.subscriptions
    with pytest.raises(NotAllowed):
        await rules.create(caller(kind), BODY, None)
    with pytest.raises(NotAllowed):
        await rules.list(caller(kind))
    assert (await rules.create(POLICE, BODY, None)).effect is Effect.CREATED


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "x", "filters": {"min_score": 2}}, "/filters/min_score"),
        ({"name": "x", "filters": {"categories": ["lost"]}}, "/filters/categories/0"),
        ({"name": "x", "filters": {"alert_ids": ["not-a-uuid"]}}, "/filters/alert_ids/0"),
        ({"name": "x", "filters": {"region": {"bbox": [0, 0, 1]}}}, "/filters/region/bbox"),
        ({"name": "x", "colour": "red"}, "/colour"),
        ({"name": ""}, "/name"),
        ({"name": "a\x00b"}, "/name"),
        ({"filters": {}}, "/name"),  # missing
        ({"name": "x", "webhook": {"url": "http://hooks.example.org/x"}}, "/webhook/url"),
        ({"name": "x", "webhook": {"url": "ftp://hooks.example.org/x"}}, "/webhook/url"),
    ],
)
async def test_bad_bodies_are_refused_by_field(
    notifier: Notifier, body: dict[str, Any], pointer: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await notifier.handlers.subscriptions.create(INVESTIGATOR, body, None)
    assert pointer in [e.pointer for e in refused.value.errors]
    assert notifier.repo.tables.subscriptions == {} and _actions(notifier) == []


async def test_a_change_is_checked_as_strictly_and_leaves_the_subscription_as_it_was(
    notifier: Notifier,
) -> None:
    rules = notifier.handlers.subscriptions
    sid = (await rules.create(INVESTIGATOR, BODY, None)).body["id"]
    for body, pointer in [
        ({}, ""),
        ({"webhook": {"url": "http://hooks.example.org/x"}}, "/webhook/url"),
        ({"filters": {"observation_types": ["rumour"]}}, "/filters/observation_types/0"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await rules.update(INVESTIGATOR, sid, body)
        assert pointer in [e.pointer for e in refused.value.errors]
    unchanged = (await rules.read(INVESTIGATOR, sid)).body
    assert unchanged["filters"] == BODY["filters"]
    assert unchanged["webhook"]["url"] == BODY["webhook"]["url"]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://hooks.example.org/kinlink", True),
        ("https://10.0.0.7:8443/hook", True),
        ("http://127.0.0.1:9/hook", True),
        ("http://localhost:8080/hook", True),
        ("http://[::1]:8080/hook", True),
        ("http://hooks.example.org/kinlink", False),
        ("http://10.0.0.7/hook", False),
        ("ftp://hooks.example.org/x", False),
        ("https:///no-host", False),
        ("/relative/path", False),
    ],
)
def test_webhooks_use_https_or_plain_http_to_loopback_only(url: str, accepted: bool) -> None:
    assert (webhook_url_problem(url) is None) is accepted


async def test_a_keyed_creation_retried_gets_the_same_subscription(notifier: Notifier) -> None:
    rules = notifier.handlers.subscriptions
    idem = keyed("sub-1", BODY, "POST /v1/subscriptions")
    first = await rules.create(INVESTIGATOR, BODY, idem)
    retried = await rules.create(INVESTIGATOR, BODY, idem)
    assert retried == first
    other = await rules.create(OTHER_INVESTIGATOR, BODY, idem)  # another organisation's key
    assert other.body["id"] != first.body["id"]
    with pytest.raises(InvalidInput) as reused:
        changed = {**BODY, "name": "another"}
        await rules.create(INVESTIGATOR, changed, keyed("sub-1", changed, "POST /v1/subscriptions"))
    assert reused.value.code == "idempotency-key-reused"
    assert [s["id"] for s in (await rules.list(INVESTIGATOR)).body["items"]] == [first.body["id"]]


async def test_a_disabled_webhook_is_re_enabled_by_its_owner_and_what_waited_is_due_now(
    notifier: Notifier,
) -> None:
    rules = notifier.handlers.subscriptions
    sid = (await rules.create(INVESTIGATOR, BODY, None)).body["id"]
    alert, sighting = events.alert(), events.sighting(where=events.VENTIMIGLIA)  # in its region
    await notifier.apply(alert, sighting, notifier.proposed(alert, sighting))
    now = notifier.clock()
    async with notifier.repo.transaction() as tx:  # the deliverer fails twice, then gives up
        (due,) = await tx.claim_due_deliveries(now, now + timedelta(minutes=2), 10)
        for _ in range(2):
            await tx.failed(due.notification.id, now + timedelta(days=1), 2, now)
    disabled = (await rules.read(INVESTIGATOR, sid)).body["webhook"]
    assert (disabled["enabled"], disabled["consecutive_failures"]) == (False, 2)

    notifier.clock.advance(timedelta(hours=1))
    enabled = await rules.enable_webhook(INVESTIGATOR, sid)
    assert enabled.effect is Effect.CHANGED
    assert enabled.body["webhook"]["enabled"] and enabled.body["webhook"]["disabled_at"] is None
    assert enabled.body["webhook"]["consecutive_failures"] == 0
    assert "secret" not in enabled.body["webhook"]
    now = notifier.clock()
    async with notifier.repo.transaction() as tx:
        (again,) = await tx.claim_due_deliveries(now, now + timedelta(minutes=2), 10)
    assert (again.notification.id, again.attempts) == (due.notification.id, 2)
    assert _actions(notifier)[-1] == ("subscription.webhook.enable", sid)

    plain = await notifier.subscribe(INVESTIGATOR, "polling only")
    with pytest.raises(NotFound):
        await rules.enable_webhook(INVESTIGATOR, plain)


async def test_the_delivery_log_shows_the_newest_attempt_first(notifier: Notifier) -> None:
    rules = notifier.handlers.subscriptions
    sid = (await rules.create(INVESTIGATOR, BODY, None)).body["id"]
    nid = str(events.sighting().subject)
    at = notifier.clock()
    async with notifier.repo.transaction() as tx:
        await tx.record_attempt(DeliveryAttempt(nid, sid, 1, at, None, "TimeoutError", 2000.04))
        later = at + timedelta(seconds=1)
        await tx.record_attempt(DeliveryAttempt(nid, sid, 2, later, 204, None, 12.345))
    items = (await rules.deliveries(INVESTIGATOR, sid, 10)).body["items"]
    assert [(i["attempt"], i["status_code"], i["error"], i["duration_ms"]) for i in items] == [
        (2, 204, None, 12.3),
        (1, None, "TimeoutError", 2000.0),
    ]
    assert len((await rules.deliveries(INVESTIGATOR, sid, 1)).body["items"]) == 1


async def test_a_deleted_subscription_is_told_nothing_more(notifier: Notifier) -> None:
    sid = await notifier.subscribe(INVESTIGATOR, webhook={"url": "https://hooks.example.org/k"})
    alert, first, second = events.alert(), events.sighting(), events.sighting()
    proposal = notifier.proposed(alert, first)
    await notifier.apply(alert, first, second, proposal)
    await notifier.handlers.subscriptions.delete(INVESTIGATOR, sid)
    await notifier.apply(notifier.proposed(alert, second), events.withdrawn(proposal, revision=2))
    assert [n.match_id for n in await notifier.told(INVESTIGATOR)] == [proposal.subject]
    now = notifier.clock()
    async with notifier.repo.transaction() as tx:  # its pending delivery went with it
        assert await tx.claim_due_deliveries(now, now + timedelta(minutes=2), 10) == []
