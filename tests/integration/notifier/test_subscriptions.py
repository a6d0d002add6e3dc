"""Subscriptions belong to their organisation: created, listed, changed and deleted by it, and
neither visible nor changeable by anyone else; bad bodies are refused field by field."""

from __future__ import annotations

from typing import Any

from tests.integration.notifier.conftest import bearer

BODY = {
    "name": "Central Mediterranean",
    "filters": {
        "issuing_countries": ["ITA"],
        "region": {"centre": {"lat": 43.79, "lon": 7.61}, "radius_km": 300},
        "min_score": 0.4,
    },
    "escalation_contact": True,
    "webhook": {"url": "https://hooks.example.org/kinlink"},
}


async def test_owner_manages_its_subscription(notifier: Any, token: Any) -> None:
    mine = bearer(token("investigator"))
    created = await notifier.post("/v1/subscriptions", json=BODY, headers=mine)
    assert created.status == 201
    body = await created.json()
    assert created.headers["Location"] == f"/v1/subscriptions/{body['id']}"
    assert body["webhook"]["secret"].startswith("whsec_")  # shown once, at creation
    assert body["filters"] == BODY["filters"]

    listed = await (await notifier.get("/v1/subscriptions", headers=mine)).json()
    assert [s["id"] for s in listed["items"]] == [body["id"]]
    assert "secret" not in listed["items"][0]["webhook"]

    path = f"/v1/subscriptions/{body['id']}"
    changed = await notifier.patch(path, json={"filters": {"min_score": 0.7}}, headers=mine)
    assert changed.status == 200
    assert (await changed.json())["filters"] == {"min_score": 0.7}
    assert (await notifier.delete(path, headers=mine)).status == 204
    assert (await notifier.get(path, headers=mine)).status == 404


async def test_another_organisation_can_neither_see_nor_change_it(
    notifier: Any, token: Any
) -> None:
    created = await notifier.post(
        "/v1/subscriptions", json=BODY, headers=bearer(token("investigator"))
    )
    path = f"/v1/subscriptions/{(await created.json())['id']}"
    stranger = bearer(token("investigator", org="de-bka-investigations"))
    assert (await notifier.get(path, headers=stranger)).status == 404
    assert (await notifier.patch(path, json={"name": "x"}, headers=stranger)).status == 404
    assert (await notifier.delete(path, headers=stranger)).status == 404
    assert (await notifier.post(f"{path}/webhook/enable", headers=stranger)).status == 404
    listed = await (await notifier.get("/v1/subscriptions", headers=stranger)).json()
    assert listed["items"] == []


async def test_only_investigators_and_police_subscribe(notifier: Any, token: Any) -> None:
    for kind in ("reception_centre", "ngo", "hotline", "auditor"):
        refused = await notifier.post("/v1/subscriptions", json=BODY, headers=bearer(token(kind)))
        assert refused.status == 403, kind
    police = await notifier.post("/v1/subscriptions", json=BODY, headers=bearer(token("police")))
    assert police.status == 201
    assert (await notifier.post("/v1/subscriptions", json=BODY)).status == 401


async def test_bad_bodies_name_the_field(notifier: Any, token: Any) -> None:
    mine = bearer(token("investigator"))
    cases = [
        ({"name": "x", "filters": {"min_score": 2}}, "/filters/min_score"),
        ({"name": "x", "filters": {"categories": ["lost"]}}, "/filters/categories/0"),
        ({"name": "x", "colour": "red"}, "/colour"),
        ({"name": "x", "webhook": {"url": "http://hooks.example.org/x"}}, "/webhook/url"),
    ]
    for body, pointer in cases:
        refused = await notifier.post("/v1/subscriptions", json=body, headers=mine)
        assert refused.status == 422, body
        problem = await refused.json()
        assert pointer in [e["pointer"] for e in problem["errors"]], (body, problem)
    loopback = {"name": "tests", "webhook": {"url": "http://127.0.0.1:9/hook"}}
    assert (await notifier.post("/v1/subscriptions", json=loopback, headers=mine)).status == 201
