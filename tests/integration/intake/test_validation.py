"""Bad input gets problem+json: 422 with every failing field's pointer, 400, 413, 415, 409."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer

PROBLEM = "application/problem+json"

# (door, kind allowed there, body, the pointers that must be reported)
INVALID: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("/v1/alerts", "police", {**bodies.alert(), "categroy": "missing"}, {"/categroy"}),
    (
        "/v1/alerts",
        "police",
        {k: v for k, v in bodies.alert().items() if k != "last_seen"},
        {"/last_seen"},
    ),
    (
        "/v1/alerts",
        "police",
        bodies.alert(child=bodies.child(sex="boy", date_of_birth="2012-13")),
        {"/child/sex", "/child/date_of_birth"},
    ),
    (
        "/v1/alerts",
        "police",
        bodies.alert(last_seen={"at": "yesterday", "location": bodies.location(lat=123.0)}),
        {"/last_seen/at", "/last_seen/location/lat"},
    ),
    (
        "/v1/alerts",
        "police",
        bodies.alert(last_seen={"at": "2099-01-01T00:00:00Z", "location": bodies.location()}),
        {"/last_seen/at"},
    ),
    (
        "/v1/alerts",
        "police",
        bodies.alert(child=bodies.child(age_range={"min": 15, "max": 12})),
        {"/child/age_range/min"},
    ),
    (
        "/v1/alerts",
        "police",
        bodies.alert(child=bodies.child(date_of_birth="2090")),
        {"/child/date_of_birth"},
    ),
    (
        "/v1/registrations",
        "reception_centre",
        bodies.registration(child=bodies.child(nationalities=["afghan"]), accompanied="no"),
        {"/child/nationalities/0", "/accompanied"},
    ),
    (
        "/v1/registrations",
        "reception_centre",
        bodies.registration(location=bodies.location(lon=-200)),
        {"/location/lon"},
    ),
    (
        "/v1/sightings",
        "hotline",
        bodies.sighting(observed_at="2025-04-21T07:45:00", alert_id="nope"),
        {"/observed_at", "/alert_id"},
    ),
    ("/v1/sightings", "hotline", ["not", "an", "object"], {""}),
]


@pytest.mark.parametrize("door,kind,body,pointers", INVALID)
async def test_invalid_bodies_get_422_with_pointers(
    client: Any, token: TokenFactory, door: str, kind: str, body: Any, pointers: set[str]
) -> None:
    response = await client.post(door, json=body, headers=bearer(token(kind)))
    assert response.status == 422
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert {problem["status"], problem["instance"]} == {422, door}
    assert {"type", "title", "detail"} <= problem.keys()
    assert {e["pointer"] for e in problem["errors"]} == pointers
    assert all(e["detail"] for e in problem["errors"])


async def test_malformed_wrong_type_and_oversized_bodies(client: Any, token: TokenFactory) -> None:
    police = bearer(token("police"))
    cases = [
        ({"data": b'{"category": ', "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": b'{"lat": NaN}', "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": b'{"lat": 1e400}', "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": b"category=missing", "headers": {"Content-Type": "text/plain"}}, 415),
        (
            {
                "data": b'{"x": "' + b"a" * 70_000 + b'"}',
                "headers": {"Content-Type": "application/json"},
            },
            413,
        ),
    ]
    for kwargs, status in cases:
        response = await client.post(
            "/v1/alerts", data=kwargs["data"], headers={**police, **kwargs["headers"]}
        )
        assert response.status == status, await response.text()
        assert response.content_type == PROBLEM
        assert (await response.json())["status"] == status


async def test_unknown_route_and_wrong_method_are_problems(client: Any) -> None:
    missing = await client.get("/v1/nothing-here")
    assert (missing.status, missing.content_type) == (404, PROBLEM)
    wrong = await client.delete("/v1/alerts")
    assert (wrong.status, wrong.content_type) == (405, PROBLEM)
    assert "POST" in wrong.headers["Allow"]


async def test_resolved_alert_cannot_be_resolved_or_changed(
    client: Any, token: TokenFactory
) -> None:
    police = bearer(token("police"))
    created = await client.post("/v1/alerts", json=bodies.alert(), headers=police)
    location = created.headers["Location"]
    first = await client.post(f"{location}/resolve", json={"resolution": "found"}, headers=police)
    assert first.status == 200
    assert (await first.json())["status"] == "resolved"
    again = await client.post(
        f"{location}/resolve", json={"resolution": "withdrawn"}, headers=police
    )
    assert (again.status, again.content_type) == (409, PROBLEM)
    patch = await client.patch(location, json={"risk_level": "low"}, headers=police)
    assert patch.status == 409


async def test_patch_replaces_fields_and_unknown_ids_are_404(
    client: Any, token: TokenFactory
) -> None:
    police = bearer(token("police"))
    created = await client.post("/v1/alerts", json=bodies.alert(), headers=police)
    location = created.headers["Location"]
    new_place = {
        "at": "2025-04-14T09:00:00Z",
        "location": bodies.location(lat=45.48, lon=9.20, place="Milano Centrale"),
    }
    patched = await client.patch(
        location,
        json={"last_seen": new_place, "circumstances": None, "reason": "new report"},
        headers=police,
    )
    assert patched.status == 200
    alert = await patched.json()
    assert alert["last_seen"] == new_place and "circumstances" not in alert
    nothing = await client.patch(location, json={"reason": "only a reason"}, headers=police)
    assert nothing.status == 422
    unknown = "/v1/alerts/00000000-0000-4000-8000-000000000000"
    assert (await client.get(unknown, headers=police)).status == 404
    assert (await client.get("/v1/alerts/not-a-uuid", headers=police)).status == 404
