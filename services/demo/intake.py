"""The HTTP part of `kinlink demo`: a police unit and a reception centre use intake's doors.

A police unit publishes an alert and a reception centre in another country registers a child
under a differently spelled name, each with its own bearer token; a request without a token and
an invalid body show the errors partners get. The demo then waits for the correlator's proposal
for that pair on the matches topic. Prints ids, statuses and scores only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import click

from services.common.auth import AuthSettings, issue_token
from services.common.catalog import MATCHES
from services.common.config import CommonSettings
from services.common.envelope import from_kafka
from services.demo.topics import scan_topic


def _token(org: str, kind: str, country: str) -> str:
    kid, key = AuthSettings.from_env().signing_key()
    return issue_token(key, kid, org=org, org_kind=kind, country=country, subject=f"{org}/demo")


def _bodies(now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    last_seen = (now - timedelta(days=9)).isoformat()
    registered = (now - timedelta(days=1)).isoformat()
    alert = {
        "category": "missing_protected",
        "child": {
            "given_names": "Mohammed",
            "family_name": "Stanikzai",
            "other_names": [],
            "father_name": "Ghulam",
            "sex": "male",
            "date_of_birth": "2011-06-14",
            "date_of_birth_kind": "exact",
            "age_range": None,
            "nationalities": ["AFG"],
            "languages": ["prs", "pus"],
        },
        "last_seen": {
            "at": last_seen,
            "location": {"lat": 38.1157, "lon": 13.3615, "place": "Palermo", "country": "ITA"},
        },
        "circumstances": "Left the reception centre for minors in the evening.",
    }
    registration = {
        "registered_at": registered,
        "accompanied": False,
        "location": {"lat": 43.7915, "lon": 7.6083, "place": "Ventimiglia", "country": "ITA"},
        "child": {
            "given_names": "Muhammad",
            "family_name": "Stanekzai",
            "other_names": [],
            "father_name": "Gholam",
            "sex": "male",
            "date_of_birth": "2011-01-01",
            "date_of_birth_kind": "placeholder",
            "age_range": {"min": 13, "max": 15},
            "nationalities": ["AFG"],
            "languages": ["prs"],
        },
    }
    return alert, registration


async def run_intake_demo(settings: CommonSettings, url: str) -> int:
    police = _token("it-ps-palermo", "police", "ITA")
    centre = _token("fr-centre-menton", "reception_centre", "FRA")
    alert_body, registration_body = _bodies(datetime.now(UTC))
    async with aiohttp.ClientSession(base_url=url) as http:
        async with http.post("/v1/alerts", json=alert_body) as response:
            problem = await response.json()
            click.echo(f"POST /v1/alerts without a token -> {response.status} {problem['title']}")
        bad = {**registration_body, "accompanied": "maybe"}
        async with http.post(
            "/v1/registrations", json=bad, headers={"Authorization": f"Bearer {centre}"}
        ) as response:
            problem = await response.json()
            fields = ", ".join(e["pointer"] for e in problem.get("errors", []))
            click.echo(f"POST /v1/registrations with a bad field -> {response.status} ({fields})")
        async with http.post(
            "/v1/alerts", json=alert_body, headers={"Authorization": f"Bearer {police}"}
        ) as response:
            alert = await response.json()
            click.echo(
                f"police publishes an alert -> {response.status} {response.headers['Location']}"
            )
        async with http.post(
            "/v1/registrations",
            json=registration_body,
            headers={"Authorization": f"Bearer {centre}"},
        ) as response:
            registration = await response.json()
            click.echo(
                f"reception centre registers a child -> {response.status} "
                f"{response.headers['Location']}"
            )

    def for_this_alert(record: Any) -> bool:
        return bool(_data(record)["alert_id"] == alert["alert_id"])

    found = await scan_topic(settings, MATCHES, for_this_alert, first_only=True, timeout=60)
    proposal = _data(found[0]) if found else None
    if proposal is None:
        click.echo("no match was proposed for the pair", err=True)
        return 1
    click.echo(
        f"correlator proposed match {proposal['match_id']} (score {proposal['score']:.3f}) between "
        f"alert {alert['alert_id'][:8]} and registration {registration['registration_id'][:8]}"
    )
    return 0


def _data(record: Any) -> dict[str, Any]:
    data: dict[str, Any] = from_kafka(record.key, record.value, record.headers).data
    return data
