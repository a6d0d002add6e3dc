"""Targeted access cases of intake (the whole route x caller matrix of both services is
tests/integration/security/test_authorisation_matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.integration.intake import bodies
from tests.integration.intake.conftest import ORGS, TokenFactory, bearer

KINDS = list(ORGS)


async def _create(client: Any, token: TokenFactory, kind: str, path: str, body: Any) -> str:
    response = await client.post(path, json=body, headers=bearer(token(kind)))
    assert response.status == 201, await response.text()
    location: str = response.headers["Location"]
    return location


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
