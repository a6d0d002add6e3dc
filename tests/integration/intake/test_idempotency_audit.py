"""Idempotency keys replay the first answer; every write and every read is audited, for good."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from services.intake.config import SCHEMA
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory, bearer


async def _outbox_rows(pool: Any) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".outbox'))


async def test_retry_with_same_key_replays_and_emits_nothing_new(
    client: Any, token: TokenFactory, pool: Any
) -> None:
    headers = {**bearer(token("hotline")), "Idempotency-Key": "report-0042"}
    body = bodies.sighting()
    first = await client.post("/v1/sightings", json=body, headers=headers)
    second = await client.post("/v1/sightings", json=body, headers=headers)
    assert first.status == second.status == 201
    assert await first.json() == await second.json()
    assert first.headers["Location"] == second.headers["Location"]
    assert await _outbox_rows(pool) == 1

    other_body = await client.post(
        "/v1/sightings", json=bodies.sighting(confidence="high"), headers=headers
    )
    assert other_body.status == 422
    assert (await other_body.json())["type"].endswith("/idempotency-key-reused")
    # the key belongs to the organisation: another one may use the same string
    ngo = {**bearer(token("ngo")), "Idempotency-Key": "report-0042"}
    assert (await client.post("/v1/sightings", json=body, headers=ngo)).status == 201
    assert await _outbox_rows(pool) == 2


async def test_writes_and_reads_are_audited_and_the_log_is_append_only(
    client: Any, token: TokenFactory, pool: Any
) -> None:
    police = bearer(token("police"))
    created = await client.post(
        "/v1/alerts", json=bodies.alert(), headers={**police, "X-Request-Id": "req-create-1"}
    )
    alert_id = (await created.json())["alert_id"]
    await client.get(created.headers["Location"], headers=bearer(token("investigator")))
    await client.patch(created.headers["Location"], json={"risk_level": "low"}, headers=police)
    await client.get("/v1/alerts", headers=police)

    auditor = bearer(token("auditor"))
    log = await (await client.get(f"/v1/audit?record_id={alert_id}", headers=auditor)).json()
    entries = [(e["org_kind"], e["action"]) for e in log["items"]]
    assert entries == [
        ("police", "alert.create"),
        ("investigator", "alert.read"),
        ("police", "alert.update"),
        ("police", "alert.read"),
    ]
    first = log["items"][0]
    assert first["request_id"] == "req-create-1"
    assert first["org_id"] == "it-ps-imperia" and first["subject"] == "it-ps-imperia/officer-1"

    page = await (await client.get("/v1/audit?limit=2", headers=auditor)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await (
        await client.get(f"/v1/audit?limit=50&cursor={page['next_cursor']}", headers=auditor)
    ).json()
    assert [e["id"] for e in page["items"] + rest["items"]] == [1, 2, 3, 4]

    async with pool.acquire() as conn:
        for statement in (
            f"UPDATE \"{SCHEMA}\".audit_log SET action = 'nothing'",
            f'DELETE FROM "{SCHEMA}".audit_log',
            f'TRUNCATE "{SCHEMA}".audit_log',
        ):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute(statement)
        assert await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".audit_log') == 4


async def test_alert_list_pages_and_filters(client: Any, token: TokenFactory) -> None:
    police = bearer(token("police"))
    locations = []
    for _ in range(3):
        created = await client.post("/v1/alerts", json=bodies.alert(), headers=police)
        locations.append(created.headers["Location"])
    await client.post(f"{locations[0]}/resolve", json={"resolution": "withdrawn"}, headers=police)
    page = await (await client.get("/v1/alerts?limit=2", headers=police)).json()
    rest = await (
        await client.get(f"/v1/alerts?cursor={page['next_cursor']}", headers=police)
    ).json()
    ids = [a["alert_id"] for a in page["items"] + rest["items"]]
    assert sorted(ids) == sorted(loc.rsplit("/", 1)[1] for loc in locations)
    assert rest["next_cursor"] is None
    active = await (await client.get("/v1/alerts?status=active", headers=police)).json()
    assert len(active["items"]) == 2
    assert (await client.get("/v1/alerts?limit=0", headers=police)).status == 400
    assert (await client.get("/v1/alerts?updated_since=soon", headers=police)).status == 400
    future = await client.get("/v1/alerts?updated_since=2099-01-01T00:00:00Z", headers=police)
    assert (await future.json())["items"] == []


async def test_operations_endpoints(client: Any, token: TokenFactory) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"] == {
        "database": "up", "kafka": "up", "outbox_relay": "up", "match_links": "up",
        "retention": "up",
    }
    await client.post("/v1/alerts", json=bodies.alert(), headers=bearer(token("police")))
    metrics = await (await client.get("/metrics")).text()
    counted = 'method="POST",route="/v1/alerts",service="intake",status="201"'
    assert f"kinlink_http_requests_total{{{counted}}}" in metrics
    assert "kinlink_http_request_seconds_bucket" in metrics
    assert "kinlink_outbox_backlog" in metrics
