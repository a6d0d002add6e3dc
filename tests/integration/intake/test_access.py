"""Every route x every organisation kind: the allowed succeed, the others get 401/403."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.intake import bodies
from tests.integration.intake.conftest import ORGS, TokenFactory, bearer

KINDS = list(ORGS)


async def _create(client: Any, token: TokenFactory, kind: str, path: str, body: Any) -> str:
    response = await client.post(path, json=body, headers=bearer(token(kind)))
    assert response.status == 201, await response.text()
    location: str = response.headers["Location"]
    return location


# route -> (method, path template, body factory or None, the kinds allowed, success status)
ROUTES: dict[str, tuple[str, str, Any, set[str], int]] = {
    "publish alert": ("POST", "/v1/alerts", bodies.alert, {"police"}, 201),
    "list alerts": ("GET", "/v1/alerts", None, {"police", "investigator"}, 200),
    "read alert": ("GET", "{alert}", None, {"police", "investigator"}, 200),
    "update alert": ("PATCH", "{alert}", lambda: {"risk_level": "critical"}, {"police"}, 200),
    "resolve alert": ("POST", "{alert}/resolve", lambda: {"resolution": "found"}, {"police"}, 200),
    "record registration": (
        "POST",
        "/v1/registrations",
        bodies.registration,
        {"reception_centre"},
        201,
    ),
    "read registration": ("GET", "{registration}", None, {"reception_centre", "investigator"}, 200),
    "report sighting": (
        "POST",
        "/v1/sightings",
        bodies.sighting,
        {"police", "ngo", "hotline"},
        201,
    ),
    # the sighting read is the hotline's own: police and NGOs are other organisations here
    "read sighting": ("GET", "{sighting}", None, {"hotline", "investigator"}, 200),
    "read audit log": ("GET", "/v1/audit", None, {"auditor"}, 200),
}


@pytest.mark.parametrize("route", list(ROUTES))
async def test_route_allows_exactly_the_granted_kinds(
    route: str, client: Any, token: TokenFactory
) -> None:
    method, template, body, allowed, success = ROUTES[route]
    for kind in [*KINDS, None]:
        # a fresh record per caller, so a resolve by one kind does not turn the next into 409
        paths = {
            "alert": await _create(client, token, "police", "/v1/alerts", bodies.alert()),
            "registration": await _create(
                client, token, "reception_centre", "/v1/registrations", bodies.registration()
            ),
            "sighting": await _create(client, token, "hotline", "/v1/sightings", bodies.sighting()),
        }
        path = template.format(**paths)
        headers = bearer(token(kind)) if kind else {}
        response = await client.request(
            method, path, json=body() if body else None, headers=headers
        )
        expected = success if kind in allowed else (401 if kind is None else 403)
        assert response.status == expected, (kind, await response.text())
        if expected >= 400:
            assert response.content_type == "application/problem+json"
        if expected == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_police_read_but_cannot_change_another_authoritys_active_alert(
    client: Any, token: TokenFactory
) -> None:
    location = await _create(client, token, "police", "/v1/alerts", bodies.alert())
    other = bearer(token("police", "fr-pn-nice"))
    assert (await client.get(location, headers=other)).status == 200
    history = await client.get(f"{location}/history", headers=other)
    assert history.status == 200 and len((await history.json())["items"]) == 1
    assert (await client.patch(location, json={"risk_level": "low"}, headers=other)).status == 403
    resolve = await client.post(f"{location}/resolve", json={"resolution": "found"}, headers=other)
    assert resolve.status == 403
    listed = await (await client.get("/v1/alerts", headers=other)).json()
    assert [a["alert_id"] for a in listed["items"]] == [location.rsplit("/", 1)[1]]
    # the owner still sees it unchanged
    mine = await (await client.get(location, headers=bearer(token("police")))).json()
    assert mine["status"] == "active" and mine["risk_level"] == "high"


async def test_bad_expired_and_revoked_tokens_get_401(
    client: Any, token: TokenFactory, keys: Any
) -> None:
    good = token("police")
    assert (await client.get("/v1/alerts", headers=bearer(good))).status == 200
    expired = token("police", now=1_600_000_000)
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for bad in (expired, tampered, "not-a-jwt"):
        response = await client.get("/v1/alerts", headers=bearer(bad))
        assert response.status == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    import jwt

    keys.revoked_file.write_text(jwt.decode(good, options={"verify_signature": False})["jti"])
    assert (await client.get("/v1/alerts", headers=bearer(good))).status == 401
