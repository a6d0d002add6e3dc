"""Problem details rendering and the semantic body rules beyond the schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from services.common.http_problems import FieldError, Problem, problem_response
from services.intake.validation import semantic_errors

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)


def test_problem_is_rfc9457_with_field_errors() -> None:
    problem = Problem(
        422,
        "The request body has 1 invalid field.",
        errors=[FieldError("/child/sex", "must be one of: ...")],
    )
    response = problem_response(problem, "/v1/alerts")
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert response.body is not None
    body = json.loads(bytes(response.body))  # type: ignore[arg-type]
    assert body == {
        "type": "https://schemas.kinlink.org/problems/validation-failed",
        "title": "Invalid request",
        "status": 422,
        "detail": "The request body has 1 invalid field.",
        "instance": "/v1/alerts",
        "errors": [{"pointer": "/child/sex", "detail": "must be one of: ..."}],
    }


def test_problem_headers_and_slug() -> None:
    problem = Problem(
        401,
        "no token",
        headers={"WWW-Authenticate": 'Bearer realm="kinlink"'},
        slug="unauthenticated",
    )
    response = problem_response(problem, "/v1/alerts")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="kinlink"'
    assert "errors" not in problem.body("/x")


def pointers(body: object) -> list[str]:
    return [e.pointer for e in semantic_errors(body, NOW, SKEW)]


def test_times_in_the_future_beyond_the_skew_are_refused() -> None:
    soon = (NOW + timedelta(minutes=4)).isoformat()
    later = (NOW + timedelta(minutes=6)).isoformat()
    assert pointers({"observed_at": soon}) == []
    assert pointers({"observed_at": later}) == ["/observed_at"]
    assert pointers({"last_seen": {"at": later}}) == ["/last_seen/at"]
    assert pointers({"observed_at": "9999-12-31T23:59:59-23:00"}) == ["/observed_at"]


def test_birth_dates_and_age_ranges() -> None:
    assert pointers({"child": {"date_of_birth": "2025"}}) == []
    assert pointers({"child": {"date_of_birth": "2025-06"}}) == ["/child/date_of_birth"]
    assert pointers({"child": {"date_of_birth": "2026"}}) == ["/child/date_of_birth"]
    assert pointers({"child": {"age_range": {"min": 9, "max": 9}}}) == []
    assert pointers({"child": {"age_range": {"min": 10, "max": 9}}}) == ["/child/age_range/min"]


def test_coordinates_must_be_finite_and_in_range() -> None:
    assert pointers({"location": {"lat": 91, "lon": 0}}) == ["/location/lat"]
    assert pointers({"found_location": {"lat": 0, "lon": float("inf")}}) == ["/found_location/lon"]
    assert pointers({"location": {"lat": -90, "lon": 180}}) == []
