"""The investigators' part of `kinlink demo`: a subscription, the notifications it receives,
and where to open the dashboard.

An investigation unit subscribes to every proposed match before the scenario runs (so its
matches are routed to it), then the demo waits until the notifier has caught up and prints the
dashboard URL with a bearer token to sign in with. Prints ids and counts, never names.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import click

from services.common.auth import AuthSettings, issue_token

INVESTIGATOR = ("eu-demo-investigations", "NLD")


def investigator_token(ttl: str = "12h") -> str:
    from services.common.auth import parse_ttl

    kid, key = AuthSettings.from_env().signing_key()
    org, country = INVESTIGATOR
    return issue_token(
        key, kid, org=org, org_kind="investigator", country=country,
        subject=f"{org}/demo-investigator", ttl=parse_ttl(ttl),
    )  # fmt: skip


async def subscribe(notifier_url: str, token: str) -> str:
    """An all-matches subscription for the demo's investigation unit (once per stack)."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "demo-subscription"}
    body = {"name": "Demo: every proposed match", "escalation_contact": True}
    url = f"{notifier_url}/v1/subscriptions"
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        if r.status != 201:
            raise click.ClickException(f"the notifier refused the subscription ({r.status})")
        created = await r.json()
    click.echo(f"investigation unit {INVESTIGATOR[0]} subscribed ({created['id'][:8]})")
    return str(created["id"])


async def show_notifications(
    notifier_url: str, token: str, expected: int, dashboard_url: str | None = None
) -> int:
    """Wait (up to a minute) for the unit's open queue to show the scenario's matches; print
    where the dashboard is (`dashboard_url` when a browser reaches it at another address)."""
    headers = {"Authorization": f"Bearer {token}"}
    count = 0
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            async with http.get(f"{notifier_url}/v1/matches?limit=200", headers=headers) as r:
                count = len((await r.json())["items"])
            if count >= min(expected, 200):
                break
            await asyncio.sleep(1.0)
    shown = f"{count}+" if count >= 200 else str(count)  # one page of the queue is enough here
    click.echo(f"the notifier routed {shown} open matches to {INVESTIGATOR[0]}")
    click.echo(f"\ndashboard: {dashboard_url or f'{notifier_url}/dashboard/'}")
    click.echo(f"sign in with this investigator token (valid 12 h):\n{token}")
    return 0 if count else 1
