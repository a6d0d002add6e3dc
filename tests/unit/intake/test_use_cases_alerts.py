"""An alert's life through intake's use cases (publish, update, resolve, list) and the refusals
of bodies that break a rule, each naming its field by JSON pointer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.common.catalog import ALERT_PUBLISHED, ALERT_RESOLVED, ALERT_UPDATED
from services.common.errors import Conflict, InvalidInput, InvalidQuery
from services.common.outcomes import Effect
from services.intake.handlers import IntakeHandlers
from tests.integration.intake import bodies
from tests.unit.intake.callers import audit_log, caller
from tests.unit.intake.fakes import InMemoryIntakeRepository

POLICE = caller("police")


async def _publish(intake: IntakeHandlers, **overrides: Any) -> str:
    outcome = await intake.publish_alert(POLICE, bodies.alert(**overrides), None)
    assert outcome.record is not None
    return outcome.record.record_id


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_an_update_merges_its_changes_and_emits_them_with_the_reason(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    alert_id = await _publish(intake)
    published = await intake.read(POLICE, "alert", alert_id)
    change = {"risk_level": "medium", "circumstances": None, "reason": "seen with family"}
    updated = await intake.update_alert(POLICE, alert_id, change, None)
    assert updated.effect is Effect.CHANGED
    body = updated.body
    assert body["risk_level"] == "medium" and "circumstances" not in body  # null clears
    assert "reason" not in body and body["child"] == bodies.child()
    assert body["created_at"] == published.body["created_at"]
    assert _time(body["updated_at"]) > _time(published.body["updated_at"])
    assert (await intake.read(POLICE, "alert", alert_id)).body == body
    event = repo.emitted[-1]
    assert (event.type, event.subject) == (ALERT_UPDATED, alert_id)
    assert event.data["changes"] == {"risk_level": "medium", "circumstances": None}
    assert event.data["reason"] == "seen with family"


async def test_an_update_must_change_something(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    alert_id = await _publish(intake)
    with pytest.raises(InvalidInput) as refused:
        await intake.update_alert(POLICE, alert_id, {"reason": "nothing really"}, None)
    assert refused.value.code == "no-changes"
    assert [e.type for e in repo.emitted] == [ALERT_PUBLISHED]


async def test_a_resolved_alert_keeps_its_resolution_and_accepts_no_more_changes(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository
) -> None:
    alert_id = await _publish(intake)
    resolved = await intake.resolve_alert(POLICE, alert_id, {"resolution": "found"}, None)
    assert resolved.body["status"] == "resolved"
    assert resolved.body["resolution"]["resolution"] == "found"
    assert resolved.body["risk_level"] == "high"  # the alert's data stays as it was
    event = repo.emitted[-1]
    assert (event.type, event.data) == (ALERT_RESOLVED, resolved.body["resolution"])
    attempts = [
        intake.update_alert(POLICE, alert_id, {"risk_level": "low"}, None),
        intake.resolve_alert(POLICE, alert_id, {"resolution": "withdrawn"}, None),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as refused:
            await attempt
        assert refused.value.code == "alert-resolved"
    assert [e.type for e in repo.emitted] == [ALERT_PUBLISHED, ALERT_RESOLVED]
    assert (await intake.read(POLICE, "alert", alert_id)).body == resolved.body


async def test_alert_lists_page_by_update_time_and_filter_by_status_and_time(
    intake: IntakeHandlers,
) -> None:
    first, second, third = [await _publish(intake) for _ in range(3)]
    await intake.update_alert(POLICE, first, {"risk_level": "low"}, None)  # now the latest
    await intake.resolve_alert(POLICE, second, {"resolution": "found"}, None)

    async def listed(**query: Any) -> tuple[list[str], str | None]:
        args: dict[str, Any] = {"status": None, "updated_since": None, "cursor": None}
        page = await intake.list_alerts(POLICE, **{**args, "limit": 50, **query})
        return [a["alert_id"] for a in page.body["items"]], page.body["next_cursor"]

    everything, no_more = await listed()
    assert everything == [third, first, second] and no_more is None
    page, cursor = await listed(limit=2)
    assert page == everything[:2] and cursor is not None
    assert await listed(cursor=cursor, limit=2) == (everything[2:], None)
    assert (await listed(status="resolved"))[0] == [second]
    assert (await listed(status="active"))[0] == [third, first]
    future = datetime.now(UTC) + timedelta(days=1)
    assert (await listed(updated_since=future))[0] == []
    with pytest.raises(InvalidQuery):
        await listed(cursor="bm90LW91cnM")


def _pointers(refused: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return sorted(e.pointer for e in refused.value.errors)


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        (bodies.alert(child=bodies.child(sex="boy")), ["/child/sex"]),
        (bodies.alert(unknown_field=1), ["/unknown_field"]),
        (
            bodies.alert(last_seen={"at": "2999-01-01T00:00:00Z", "location": bodies.location()}),
            ["/last_seen/at"],
        ),
        (
            bodies.alert(child=bodies.child(age_range={"min": 15, "max": 12})),
            ["/child/age_range/min"],
        ),
        (bodies.alert(circumstances="left\x00early"), ["/circumstances"]),
        (
            bodies.alert(
                last_seen={"at": "2025-04-12T18:30:00Z", "location": {"lat": 91, "lon": 7.6}}
            ),
            ["/last_seen/location/lat"],
        ),
    ],
)
async def test_invalid_alerts_are_refused_field_by_field_and_store_nothing(
    intake: IntakeHandlers, repo: InMemoryIntakeRepository, body: Any, pointers: list[str]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await intake.publish_alert(POLICE, body, None)
    assert _pointers(refused) == pointers
    assert repo.emitted == [] and await audit_log(repo) == []


async def test_invalid_observations_and_changes_name_their_fields(
    intake: IntakeHandlers,
) -> None:
    alert_id = await _publish(intake)
    attempts = [
        (
            intake.record_registration(
                caller("reception_centre"),
                bodies.registration(child=bodies.child(nationalities=["afg"])),
                None,
            ),
            ["/child/nationalities/0"],
        ),
        (
            intake.report_sighting(
                caller("ngo"), bodies.sighting(observed_at="2999-01-01T00:00:00Z"), None
            ),
            ["/observed_at"],
        ),
        (intake.update_alert(POLICE, alert_id, {"risk_level": "extreme"}, None), ["/risk_level"]),
        (intake.resolve_alert(POLICE, alert_id, {}, None), ["/resolution"]),
    ]
    for attempt, pointers in attempts:
        with pytest.raises(InvalidInput) as refused:
            await attempt
        assert _pointers(refused) == pointers
