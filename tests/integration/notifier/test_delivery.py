"""Delivery: SSE resumes exactly where the client left, webhooks are signed and retried until
they land with the same id, later revisions supersede and withdrawals withdraw."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from services.common.config import CommonSettings
from services.notifier.domain.signing import SignatureError, verify
from tests.integration.notifier import events
from tests.integration.notifier.conftest import bearer
from tests.integration.notifier.flow import eventually, poll_until, publish
from tests.integration.notifier.sse import SSEClient


async def test_sse_client_that_reconnects_gets_exactly_what_it_missed(
    notifier: Any, settings: CommonSettings, token: Any
) -> None:
    police = token("police")
    alert, first, second, third = (
        events.alert(), events.sighting(), events.sighting(), events.registration()
    )  # fmt: skip
    stream = SSEClient(notifier, police)
    await stream.connect()
    await publish(settings, [alert, first, events.proposed(alert, first)])
    [seen] = await stream.events(1)
    assert seen["event"] == "match.proposed"
    assert seen["data"]["observation"]["id"] == first.subject
    stream.disconnect()

    # while the client is away: a new revision of the first match and two new matches
    await publish(
        settings,
        [
            events.proposed(alert, first, revision=2, score=0.95),
            second,
            events.proposed(alert, second),
            third,
            events.proposed(alert, third),
        ],
    )
    await poll_until(notifier, police, 4)
    await stream.connect()  # with Last-Event-ID
    missed = await stream.events(3)
    assert [e["data"]["match"]["revision"] for e in missed] == [2, 1, 1]
    assert missed[0]["data"]["supersedes"] == seen["data"]["id"]
    assert len({e["id"] for e in [seen, *missed]}) == 4
    with pytest.raises(TimeoutError):
        await stream.events(1, timeout=1.5)  # nothing more, and nothing twice
    assert stream.heartbeats >= 1
    stream.disconnect()


async def test_withdrawal_reaches_whoever_was_told(
    notifier: Any, settings: CommonSettings, token: Any
) -> None:
    police = token("police")
    alert, sighting = events.alert(), events.sighting()
    proposal = events.proposed(alert, sighting)
    await publish(settings, [alert, sighting, proposal])
    [told] = await poll_until(notifier, police, 1)
    await publish(settings, [events.withdrawn(proposal, revision=2, reason="erased")])
    told, withdrawn = await poll_until(notifier, police, 2)
    assert (told["kind"], withdrawn["kind"]) == ("match.proposed", "match.withdrawn")
    assert withdrawn["supersedes"] == told["id"]
    queue = await notifier.get("/v1/matches?status=open", headers=bearer(police))
    assert (await queue.json())["items"] == []
    # The investigator reads why: the reason and the match now in its place, as said.
    match_id = proposal.data["match_id"]
    view = await (await notifier.get(f"/v1/matches/{match_id}", headers=bearer(police))).json()
    assert (view["match"]["status"], view["match"]["withdrawn_reason"]) == ("withdrawn", "erased")
    assert view["match"]["superseded_by"] is None
    assert withdrawn["match"]["withdrawn_reason"] == "erased"


class Receiver:
    """A webhook endpoint on loopback that fails its first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[dict[str, str], bytes, int]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append((dict(request.headers), body, int(time.time())))
        if len(self.calls) <= self.failures:
            return web.Response(status=503)
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver(failures=3)
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield hook, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_webhook_is_signed_and_retried_until_it_lands_with_the_same_id(
    notifier: Any, settings: CommonSettings, token: Any, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    mine = bearer(token("investigator"))
    created = await notifier.post(
        "/v1/subscriptions", json={"name": "hook", "webhook": {"url": url}}, headers=mine
    )
    subscription = await created.json()
    secret = subscription["webhook"]["secret"]
    alert, sighting = events.alert(), events.sighting()
    await publish(settings, [alert, sighting, events.proposed(alert, sighting)])
    await eventually(lambda: len(hook.calls) >= 4, what="four webhook calls")
    ids = {headers["webhook-id"] for headers, _, _ in hook.calls}
    assert len(ids) == 1  # three failures, then success: always the same notification id
    headers, body, received_at = hook.calls[-1]
    verify(secret, headers, body, now=received_at)  # the documented procedure accepts it
    with pytest.raises(SignatureError):
        verify(secret, headers, body, now=received_at + 3600)  # a stale replay is refused
    with pytest.raises(SignatureError):
        verify(secret, headers, body + b" ", now=received_at)  # so is a tampered body
    log = await notifier.get(f"/v1/subscriptions/{subscription['id']}/deliveries", headers=mine)
    attempts = (await log.json())["items"]
    assert [a["status_code"] for a in attempts] == [204, 503, 503, 503]
    await asyncio.sleep(1.0)
    assert len(hook.calls) == 4  # delivered: not sent again


async def test_failing_endpoint_is_disabled_then_re_enabled_by_its_owner(
    start_notifier: Any, settings: CommonSettings, token: Any, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.failures = 1000
    notifier = await start_notifier(webhook_disable_after=2)
    mine = bearer(token("investigator"))
    created = await notifier.post(
        "/v1/subscriptions", json={"name": "hook", "webhook": {"url": url}}, headers=mine
    )
    path = f"/v1/subscriptions/{(await created.json())['id']}"
    alert, sighting = events.alert(), events.sighting()
    await publish(settings, [alert, sighting, events.proposed(alert, sighting)])

    async def disabled() -> bool:
        current = await (await notifier.get(path, headers=mine)).json()
        return current["webhook"]["enabled"] is False

    await eventually(disabled, what="the endpoint disabled")
    calls = len(hook.calls)
    await asyncio.sleep(1.5)
    assert len(hook.calls) == calls  # disabled: nothing is sent, nothing is lost
    hook.failures = 0
    enabled = await notifier.post(f"{path}/webhook/enable", headers=mine)
    assert (await enabled.json())["webhook"]["enabled"] is True
    await eventually(lambda: len(hook.calls) > calls, what="delivery after re-enabling")
    assert hook.calls[-1][0]["webhook-id"] == hook.calls[0][0]["webhook-id"]
