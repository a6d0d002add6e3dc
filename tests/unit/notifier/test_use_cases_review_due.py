"""A review warning (alert.review_due) reaches the issuing authority: every one of its
subscriptions (with a webhook delivery where it has an endpoint), or the organisation itself
when it has none; nobody else; and a redelivered warning notifies nobody twice."""

from __future__ import annotations

from typing import Any

from services.notifier.data_protection import REVIEW_DUE, DataProtection
from tests.unit.notifier.fakes import InMemoryNotifierRepository
from tests.unit.notifier.world import INVESTIGATOR, OTHER_POLICE, POLICE, Notifier

ALERT_ID = "6ad84f4d-942f-4759-8e2b-692dded3475c"


def warning(authority: str = "it-ps-imperia") -> dict[str, Any]:
    return {
        "alert_id": ALERT_ID,
        "issuing_authority": {"id": authority, "country": "ITA"},
        "category": "missing",
        "review_due_at": "2030-04-21T18:40:00Z",
        "extensions": 0,
    }


async def warn(repo: InMemoryNotifierRepository, data: dict[str, Any]) -> None:
    async with repo.transaction() as tx:
        await DataProtection().review_due(data, tx)


async def test_an_authority_without_subscriptions_is_told_itself(
    notifier: Notifier, repo: InMemoryNotifierRepository
) -> None:
    await warn(repo, warning())
    await warn(repo, warning())  # redelivered
    [told] = await notifier.told(POLICE)
    assert told.kind == REVIEW_DUE and told.match_id is None and told.subscription_id is None
    assert told.payload["alert"]["review_due_at"] == "2030-04-21T18:40:00Z"
    assert "extend" in told.payload["action"]
    for other in (INVESTIGATOR, OTHER_POLICE):
        assert await notifier.told(other) == []


async def test_each_subscription_of_the_authority_is_told_and_its_webhook_called(
    notifier: Notifier, repo: InMemoryNotifierRepository
) -> None:
    hooked = await notifier.subscribe(
        POLICE, "hooked", webhook={"url": "https://hooks.example.org/kinlink"}
    )
    plain = await notifier.subscribe(POLICE, "plain")
    await notifier.subscribe(OTHER_POLICE, "theirs")
    await warn(repo, warning())
    told = await notifier.told(POLICE)
    assert sorted(n.subscription_id or "" for n in told) == sorted([hooked, plain])
    assert [d.subscription_id for d in repo.tables.deliveries.values()] == [hooked]
    assert await notifier.told(OTHER_POLICE) == []
