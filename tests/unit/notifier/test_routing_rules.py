"""Subscription filters select exactly the matches they describe (table-driven), police
subscriptions only concern their own alerts, and notification ids are stable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.notifier.domain.filters import accepts, filters_from_json, filters_to_json
from services.notifier.domain.model import (
    AlertContext,
    Filters,
    ObservationContext,
    Seen,
    Subscription,
)
from services.notifier.domain.routing import (
    Recipient,
    notification_id,
    proposal_recipients,
)

AT = datetime(2025, 4, 21, 7, 45, tzinfo=UTC)
ALERT = AlertContext(
    alert_id="6ad84f4d-942f-4759-8e2b-692dded3475c",
    authority_id="it-ps-imperia",
    country="ITA",
    category="missing_protected",
    status="active",
    last_seen=Seen(AT, 43.79, 7.61, "Ventimiglia", "ITA"),
)
PARIS = ObservationContext(
    "sighting", "8d859efd-ccbc-4cab-8f4a-a63a163590dc", "fr-hotline-116000",
    Seen(AT, 48.88, 2.36, "Paris Gare du Nord", "FRA"),
)  # fmt: skip

CASES: list[tuple[str, dict[str, Any], float | None, bool]] = [
    ("no filters accept everything", {}, 0.3, True),
    ("issuing country", {"issuing_countries": ["ITA", "GRC"]}, 0.3, True),
    ("another issuing country", {"issuing_countries": ["FRA"]}, 0.3, False),
    ("issuing authority", {"issuing_authorities": ["it-ps-imperia"]}, 0.3, True),
    ("another authority", {"issuing_authorities": ["it-ps-palermo"]}, 0.3, False),
    ("category", {"categories": ["missing_protected"]}, 0.3, True),
    ("another category", {"categories": ["abduction_risk"]}, 0.3, False),
    ("alert id", {"alert_ids": [ALERT.alert_id]}, 0.3, True),
    ("another alert", {"alert_ids": ["0299469f-0f35-5534-a2e7-19faa6309e7b"]}, 0.3, False),
    ("observation type", {"observation_types": ["sighting"]}, 0.3, True),
    ("another observation type", {"observation_types": ["registration"]}, 0.3, False),
    ("score at the minimum", {"min_score": 0.3}, 0.3, True),
    ("score below the minimum", {"min_score": 0.31}, 0.3, False),
    ("no score against a minimum", {"min_score": 0.1}, None, False),
    ("bbox around Paris", {"region": {"bbox": [2.0, 48.5, 2.7, 49.1]}}, 0.3, True),
    ("bbox around Milan", {"region": {"bbox": [8.9, 45.3, 9.4, 45.6]}}, 0.3, False),
    ("within the radius", {"region": {"centre": {"lat": 48.85, "lon": 2.35}, "radius_km": 10}},
     0.3, True),
    ("outside the radius", {"region": {"centre": {"lat": 43.79, "lon": 7.61}, "radius_km": 500}},
     0.3, False),
    ("every filter must accept", {"issuing_countries": ["ITA"], "min_score": 0.9}, 0.3, False),
]  # fmt: skip


@pytest.mark.parametrize(("case", "raw", "score", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filters_select_exactly_what_they_describe(
    case: str, raw: dict[str, Any], score: float | None, expected: bool
) -> None:
    assert accepts(filters_from_json(raw), ALERT, PARIS, score) is expected


def test_filters_read_back_as_written() -> None:
    raw = {
        "issuing_countries": ["ITA"],
        "min_score": 0.5,
        "region": {"centre": {"lat": 48.85, "lon": 2.35}, "radius_km": 10.0},
    }
    assert filters_to_json(filters_from_json(raw)) == raw


def test_a_box_across_the_antimeridian() -> None:
    fiji = ObservationContext("sighting", PARIS.obs_id, "x", Seen(AT, -17.7, 178.0))
    box = filters_from_json({"region": {"bbox": [170.0, -25.0, -170.0, -10.0]}})
    assert accepts(box, ALERT, fiji, 0.5)
    assert not accepts(box, ALERT, PARIS, 0.5)


def _subscription(org: str, kind: str, filters: Filters | None = None) -> Subscription:
    return Subscription(f"00000000-0000-4000-8000-{abs(hash((org, kind))) % 10**12:012d}",
                        org, kind, f"{org}/officer", "s", filters or Filters())  # fmt: skip


def test_the_issuing_unit_is_always_told_and_police_subscriptions_see_only_their_alerts() -> None:
    own = _subscription("it-ps-imperia", "police")
    foreign = _subscription("fr-pn-ocrvp", "police")
    investigator = _subscription("eu-investigations", "investigator")
    recipients = proposal_recipients([own, foreign, investigator], ALERT, PARIS, 0.5)
    assert [(r.org_id, r.subscription_id) for r in recipients] == [
        ("it-ps-imperia", None),
        ("it-ps-imperia", own.id),
        ("eu-investigations", investigator.id),
    ]


def test_notification_ids_are_stable_per_revision_kind_and_recipient() -> None:
    unit = Recipient("it-ps-imperia")
    sub = Recipient("eu-investigations", _subscription("eu-investigations", "investigator"))
    match = "0299469f-0f35-5534-a2e7-19faa6309e7b"
    first = notification_id(match, 1, "match.proposed", unit)
    assert first == notification_id(match, 1, "match.proposed", unit)
    others = {
        notification_id(match, 2, "match.proposed", unit),
        notification_id(match, 1, "match.escalated", unit),
        notification_id(match, 1, "match.proposed", sub),
    }
    assert first not in others and len(others) == 3
