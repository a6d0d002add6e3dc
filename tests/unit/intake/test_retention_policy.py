"""The retention rules (SIS model) at the moments that matter: before and after the review
date, in the warning window, after an extension, after resolution and its grace period; and
what erasure keeps of a record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.intake.retention.policy import (
    AlertRetention,
    AlertStep,
    ObservationRetention,
    RetentionPolicy,
    alert_step,
    erased_data,
    erasure_reason,
    observation_reason,
)
from tests.integration.intake import bodies

POLICY = RetentionPolicy()
PUBLISHED = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def alert(category: str = "missing", **changes: object) -> AlertRetention:
    base = AlertRetention(
        alert_id="6ad84f4d-942f-4759-8e2b-692dded3475c",
        status="active",
        category=category,
        review_due_at=POLICY.review_due(category, PUBLISHED),
        review_warned_for=None,
        resolution=None,
        resolved_at=None,
        erased_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_review_periods_follow_sis_by_category() -> None:
    assert POLICY.review_due("missing", PUBLISHED) == PUBLISHED + 1826 * DAY
    assert POLICY.review_due("missing_protected", PUBLISHED) == PUBLISHED + 1826 * DAY
    assert POLICY.review_due("abduction_risk", PUBLISHED) == PUBLISHED + 365 * DAY
    assert POLICY.review_due("exploitation_risk", PUBLISHED) == PUBLISHED + 365 * DAY
    # an unknown category errs towards erasure
    assert POLICY.review_due("something_new", PUBLISHED) == PUBLISHED + 365 * DAY


def test_an_active_alert_is_left_alone_before_the_warning_window() -> None:
    due = alert().review_due_at
    assert alert_step(POLICY, alert(), due - POLICY.warning - DAY) is None


def test_the_issuer_is_warned_once_in_the_warning_window() -> None:
    due = alert().review_due_at
    assert alert_step(POLICY, alert(), due - POLICY.warning) is AlertStep.WARN
    warned = alert(review_warned_for=due)
    assert alert_step(POLICY, warned, due - DAY) is None


def test_an_alert_not_extended_expires_at_its_review_date() -> None:
    due = alert().review_due_at
    assert alert_step(POLICY, alert(review_warned_for=due), due) is AlertStep.EXPIRE
    assert erasure_reason(alert()) == "review_expired"


def test_an_extended_alert_gets_a_new_date_and_a_new_warning() -> None:
    first_due = alert().review_due_at
    extended_at = first_due - 10 * DAY
    extended = alert(review_due_at=POLICY.review_due("missing", extended_at),
                     review_warned_for=first_due, extensions=1)
    assert alert_step(POLICY, extended, first_due + DAY) is None
    new_due = extended.review_due_at
    assert alert_step(POLICY, extended, new_due - POLICY.warning) is AlertStep.WARN


def test_a_found_or_withdrawn_alert_is_erased_after_the_grace_period() -> None:
    resolved_at = PUBLISHED + 30 * DAY
    ended = alert(status="resolved", resolution="found", resolved_at=resolved_at)
    assert alert_step(POLICY, ended, resolved_at + POLICY.after_end - DAY) is None
    assert alert_step(POLICY, ended, resolved_at + POLICY.after_end) is AlertStep.ERASE
    assert erasure_reason(ended) == "alert_ended"


def test_an_expired_alert_is_erased_at_once_and_an_erased_one_never_again() -> None:
    expired = alert(status="resolved", resolution="expired", resolved_at=PUBLISHED)
    assert alert_step(POLICY, expired, PUBLISHED) is AlertStep.ERASE
    assert erasure_reason(expired) == "review_expired"
    erased = replace(expired, erased_at=PUBLISHED)
    assert alert_step(POLICY, erased, PUBLISHED + 4000 * DAY) is None


def observation(*linked: tuple[str, bool, bool]) -> ObservationRetention:
    return ObservationRetention("registration", "f8e99106-1ef2-4156-9af6-c89e84bc9463",
                                PUBLISHED, tuple(linked))


def test_an_observation_an_open_alert_needs_is_kept_whatever_its_age() -> None:
    needed = observation(("a1", True, False), ("a2", False, True))
    assert observation_reason(POLICY, needed, PUBLISHED + 4000 * DAY) is None


def test_an_observation_is_erased_after_its_period_or_with_the_alerts_it_matched() -> None:
    alone = observation()
    assert observation_reason(POLICY, alone, PUBLISHED + POLICY.observation - DAY) is None
    assert observation_reason(POLICY, alone, PUBLISHED + POLICY.observation) == (
        "retention_elapsed"
    )
    matched = observation(("a1", False, True))
    assert observation_reason(POLICY, matched, PUBLISHED + DAY) == "linked_alert_erased"
    ended_not_erased = observation(("a1", False, False))
    assert observation_reason(POLICY, ended_not_erased, PUBLISHED + DAY) is None


def test_erasure_keeps_identifiers_organisations_and_dates_only() -> None:
    data = {"alert_id": "x", "issuing_authority": {"id": "it-ps-imperia", "country": "ITA"},
            "status": "active", **bodies.alert()}
    kept = erased_data("alert", data)
    assert "child" not in kept and "circumstances" not in kept
    assert set(kept) == {"alert_id", "issuing_authority", "status", "category", "last_seen",
                         "erased"} | ({"case_type"} & set(data)) | ({"risk_level"} & set(data))
    assert kept["last_seen"] == {"at": data["last_seen"]["at"]}
    registration = {"registration_id": "r", "centre": {"id": "c"}, **bodies.registration()}
    assert set(erased_data("registration", registration)) == {
        "registration_id", "centre", "registered_at", "erased"
    }
