"""The dashboard in a real browser: a police unit signs in, a sighting that matches its alert
comes through intake, the correlator proposes it, the match appears without reload, the unit
opens it (map, explanation, records through intake) and confirms it; the decision reaches the
reviews topic. Intake, correlator and notifier run in this process on the test stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.common.catalog import MATCH_REVIEWED, REVIEWS
from services.common.config import CommonSettings
from services.common.envelope import from_kafka
from tests.e2e.browser import PageLog, artifact, browser, open_page  # noqa: F401  (fixture)
from tests.integration.correlator.harness import start_correlator
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer
from tests.integration.kafka_helpers import read_topic
from tests.integration.notifier.conftest import (  # noqa: F401  (fixtures)
    Clock,
    clock,
    notifier_settings,
    start_notifier,
)
from tests.integration.notifier.flow import poll_until

ARRIVAL_MS = 90_000  # intake -> Kafka -> correlator -> Kafka -> notifier -> SSE, cold consumers
STEP_MS = 20_000


@pytest.fixture
async def correlator(settings: CommonSettings) -> AsyncIterator[Any]:
    service = await start_correlator(settings)
    try:
        yield service
    finally:
        await service.stop()


MENTON = {"lat": 43.7745, "lon": 7.4975, "place": "Menton Garavan station", "country": "FRA"}
NICE = {"lat": 43.7046, "lon": 7.2619, "place": "Nice Ville station", "country": "FRA"}


def matching_sighting(where: dict[str, Any], at: str) -> dict[str, Any]:
    """The alert's child (same names, sex, age, nationality), later across the border."""
    return bodies.sighting(
        observed_at=at,
        location=bodies.location(**where),
        child={
            "given_names": "Samir",
            "family_name": "Haidari",
            "sex": "male",
            "age_range": {"min": 12, "max": 14},
            "nationalities": ["AFG"],
            "languages": ["prs"],
        },
        confidence="high",
    )


async def test_a_police_unit_sees_a_match_arrive_opens_it_and_confirms_it(
    intake: Any,
    correlator: Any,
    start_notifier: Callable[..., Any],  # noqa: F811
    browser: Any,  # noqa: F811
    token: TokenFactory,
    settings: CommonSettings,
) -> None:
    intake_url = str(intake.make_url("")).rstrip("/")
    notifier = await start_notifier(intake_url=intake_url)
    base = str(notifier.make_url("")).rstrip("/")
    police = token("police")

    created = await intake.post("/v1/alerts", json=bodies.alert(), headers=bearer(police))
    assert created.status == 201
    alert_id = (await created.json())["alert_id"]

    log = PageLog()
    page = await open_page(browser, log)
    await page.goto(f"{base}/dashboard/")
    await page.get_by_label("Bearer token").fill(police)
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("#live.is-live").wait_for(timeout=STEP_MS)
    await page.locator("#empty").wait_for(state="visible", timeout=STEP_MS)
    await page.evaluate("window.kinlinkSameDocument = true")

    hotline = bearer(token("hotline"))
    menton = matching_sighting(MENTON, "2025-04-13T09:15:00Z")
    reported = await intake.post("/v1/sightings", json=menton, headers=hotline)
    assert reported.status == 201
    sighting_id = (await reported.json())["sighting_id"]

    # the match arrives over SSE: same document, no reload
    item = page.locator("#matches button[data-match-id]")
    await item.first.wait_for(timeout=ARRIVAL_MS)
    assert await item.count() == 1
    assert await page.evaluate("window.kinlinkSameDocument === true")
    assert log.loads == 1
    match_id = await item.first.get_attribute("data-match-id")
    text = await item.first.inner_text()
    assert "Ventimiglia, ITA" in text and "Menton Garavan station, FRA" in text
    assert "Sighting" in text and "review due in" in text

    # the stream drops; what is notified meanwhile arrives once it resumes from Last-Event-ID
    last_seen_id = await page.evaluate("sessionStorage.getItem('kinlink.lastEventId')")
    resumed_from: list[str | None] = []
    page.on(
        "request",
        lambda r: (
            resumed_from.append(r.headers.get("last-event-id"))
            if r.url.endswith("/v1/notifications/stream")
            else None
        ),
    )
    await page.context.set_offline(True)
    await page.locator("#live.is-reconnecting").wait_for(timeout=STEP_MS)
    nice = matching_sighting(NICE, "2025-04-14T16:00:00Z")
    assert (await intake.post("/v1/sightings", json=nice, headers=hotline)).status == 201
    await poll_until(notifier, police, 2, timeout=ARRIVAL_MS / 1000)
    await page.context.set_offline(False)
    await item.nth(1).wait_for(timeout=STEP_MS)
    await page.locator("#live.is-live").wait_for(timeout=STEP_MS)
    assert await item.count() == 2
    assert last_seen_id and last_seen_id in resumed_from
    assert log.loads == 1

    # keyboard: focus the item, Enter opens it
    await page.locator(f'#matches button[data-match-id="{match_id}"]').focus()
    await page.keyboard.press("Enter")
    await page.locator(f'#detail[data-ready="{match_id}"]').wait_for(timeout=STEP_MS)
    assert await page.evaluate("document.activeElement.id") == "detail-heading"

    # the map: both places, the line between them, the bundled basemap drawn
    svg = page.locator("svg.map-svg")
    assert await svg.get_attribute("data-basemap") == "drawn"
    assert await page.locator("svg.map-svg circle.map-point.last-seen").count() == 1
    assert await page.locator("svg.map-svg circle.map-point.observation").count() == 1
    route = await page.locator("svg.map-svg path.map-route").get_attribute("d")
    assert (route or "").startswith("M")
    land = await page.locator("svg.map-svg > g.map-base path.map-land").get_attribute("d")
    assert land
    caption = await page.locator(".map-caption").inner_text()
    assert "km" in caption and "Ventimiglia" in caption and "Menton" in caption

    # the explanation: every signal with its verdict; the names agree
    signals = page.locator("ul.signals li.signal")
    assert await signals.count() >= 3
    assert await page.locator('li.signal.agrees[data-signal="name"]').count() == 1

    # the records, read through intake with the unit's token: its own alert is shown; the
    # hotline's sighting is intake's to refuse, and the page says so
    records = page.locator("table.records")
    await records.wait_for(timeout=STEP_MS)
    assert "Samir" in await records.inner_text()
    notice = await page.locator(".records-box .notice").all_inner_texts()
    assert notice and "403" in notice[0]
    shot = artifact("dashboard-match.png")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")

    # confirm with a note: the review is recorded, listed, and the match leaves the open list
    await page.get_by_label("Note for the record (optional)").fill("Seen by our patrol in Menton.")
    await page.get_by_role("button", name="Confirm match").click()
    await page.locator(".review-panel .form-status.ok").first.wait_for(timeout=STEP_MS)
    await page.locator(f'#matches button[data-match-id="{match_id}"]').wait_for(
        state="detached", timeout=STEP_MS
    )
    await page.locator(".reviews li.review.confirmed").wait_for(timeout=STEP_MS)
    await page.get_by_label("All").check()  # the decided match is listed among all, marked
    await page.locator(f'#matches [data-match-id="{match_id}"] .badge.confirmed').wait_for(
        timeout=STEP_MS
    )
    shot = artifact("dashboard-confirmed.png")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")

    records_on_topic = await read_topic(settings.kafka_bootstrap, settings.topic(REVIEWS), 1)
    reviewed = [from_kafka(r.key, r.value, r.headers) for r in records_on_topic]
    assert [(e.type, e.subject) for e in reviewed] == [(MATCH_REVIEWED, match_id)]
    data = reviewed[0].data
    assert data["decision"] == "confirmed" and data["alert_id"] == alert_id
    assert data["observation"] == {"type": "sighting", "id": sighting_id}
    assert data["note"] == "Seen by our patrol in Menton."

    # nothing from another site, no page errors, no child's name or birth date in the console
    origin = urlsplit(base).netloc
    assert {urlsplit(u).netloc for u in log.requests if not u.startswith("data:")} == {origin}
    assert log.errors == []
    console = "\n".join(log.console)
    for secret in ("Samir", "Haidari", "2012"):
        assert secret not in console
    assert "Content Security Policy" not in console


async def test_an_investigator_compares_both_records_and_overrides_a_rejection(
    intake: Any,
    correlator: Any,
    start_notifier: Callable[..., Any],  # noqa: F811
    browser: Any,  # noqa: F811
    token: TokenFactory,
    clock: Clock,  # noqa: F811
) -> None:
    notifier = await start_notifier(intake_url=str(intake.make_url("")).rstrip("/"))
    base = str(notifier.make_url("")).rstrip("/")
    investigator = token("investigator")
    subscribed = await notifier.post(
        "/v1/subscriptions",
        json={"name": "on call", "escalation_contact": True},
        headers=bearer(investigator),
    )
    assert subscribed.status == 201
    alert = await intake.post("/v1/alerts", json=bodies.alert(), headers=bearer(token("police")))
    assert alert.status == 201

    log = PageLog()
    page = await open_page(browser, log)
    await page.goto(f"{base}/dashboard/")
    await page.get_by_label("Bearer token").fill(investigator)
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # the Sign in button, from the keyboard
    await page.locator("#live.is-live").wait_for(timeout=STEP_MS)

    registration = await intake.post(
        "/v1/registrations", json=bodies.registration(), headers=bearer(token("reception_centre"))
    )
    assert registration.status == 201
    item = page.locator("#matches button[data-match-id]")
    await item.first.wait_for(timeout=ARRIVAL_MS)
    match_id = await item.first.get_attribute("data-match-id")
    await item.first.click()
    await page.locator(f'#detail[data-ready="{match_id}"]').wait_for(timeout=STEP_MS)

    # both records, read through intake with the investigator's token, side by side
    records = page.locator("table.records")
    await records.wait_for(timeout=STEP_MS)
    headers = await records.locator("thead th").all_inner_texts()
    assert [h.lower() for h in headers] == ["alert", "registration"]
    names = await records.locator("tr", has_text="Family name").locator("td").all_inner_texts()
    assert names == ["Haidari", "Haydari"]
    assert await page.locator(".records-box .notice").count() == 0
    assert await page.locator("svg.map-svg circle.map-point").count() == 2

    # past the review window the match escalates: flagged live in the list and the detail
    clock.advance(timedelta(hours=13))
    await page.locator(f'#matches [data-match-id="{match_id}"] .badge.escalated').wait_for(
        timeout=STEP_MS
    )
    await page.locator("#detail .detail-head .badge.escalated").wait_for(timeout=STEP_MS)

    # reject with a note; then confirming needs an override with a reason
    await page.get_by_label("Note for the record (optional)").fill("Different child.")
    await page.get_by_role("button", name="Reject match").click()
    await page.locator(".review-panel .form-status.ok").first.wait_for(timeout=STEP_MS)
    await page.locator(".reviews li.review.rejected").wait_for(timeout=STEP_MS)
    await page.locator("details.change-decision summary").click()
    await page.get_by_role("button", name="Confirm match").click()
    reason = page.get_by_label("Reason for overriding the earlier decision (required)")
    await reason.wait_for(timeout=STEP_MS)
    status = await page.locator(".review-form .form-status.error").inner_text()
    assert "409" in status and "rejected" in status
    await reason.fill("The centre re-checked the documents.")
    await page.get_by_role("button", name="Confirm match").click()
    await page.locator(".reviews li.review.confirmed").wait_for(timeout=STEP_MS)
    assert "re-checked" in await page.locator(".reviews").inner_text()
    shot = artifact("dashboard-investigator.png")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert log.errors == []
    assert "Haidari" not in "\n".join(log.console)

    # signing out forgets the token and what was shown
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("Bearer token").wait_for(timeout=STEP_MS)
    assert await page.evaluate("sessionStorage.length") == 0
    assert await page.locator("#matches button").count() == 0
