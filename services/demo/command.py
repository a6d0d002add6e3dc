"""`kinlink demo`: set the local stack up and show Kinlink working on embedded defaults.

With `--intake-url` and `--notifier-url` the demo runs against services that already run
elsewhere (compose, a cluster): no local broker, database or service is started, and the
broker and database are the ones KINLINK_KAFKA_BOOTSTRAP / KINLINK_DATABASE_URL name.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import click

from services.common.config import CommonSettings
from services.devstack.stack import Stack


def _start_local_stack() -> tuple[CommonSettings, str, str]:
    """Start broker, database and services locally; their settings and the two URLs."""
    stack = Stack.from_env()
    click.echo("starting the local stack (first run downloads the Kafka jars)...")
    stack.start_infra()
    for name, where, running in stack.describe()[:2]:
        click.echo(f"  {name:<12} {'up  ' if running else 'down'}  {where}")
    settings = CommonSettings.from_env(stack.env())
    click.echo("starting the services...")
    stack.start_services()
    for name, where, running in stack.describe()[2:]:
        click.echo(f"  {name:<12} {'up  ' if running else 'down'}  {where}")
    intake_url = f"http://127.0.0.1:{os.environ.get('KINLINK_INTAKE_PORT', '8080')}"
    notifier_url = f"http://127.0.0.1:{os.environ.get('KINLINK_NOTIFIER_PORT', '8090')}"
    return settings, intake_url, notifier_url


@click.command()
@click.option("--children", default=300, show_default=True, help="Size of the demo scenario.")
@click.option("--seed", type=int, default=None, help="Scenario seed (default: a new one per run).")
@click.option("--intake-url", default=None, help="A running intake: start nothing locally.")
@click.option("--notifier-url", default=None, help="A running notifier: start nothing locally.")
@click.option(
    "--dashboard-url", default=None, help="Where a browser reaches the dashboard, if elsewhere."
)
def demo(
    children: int,
    seed: int | None,
    intake_url: str | None,
    notifier_url: str | None,
    dashboard_url: str | None,
) -> None:
    """Start the local stack and services (or use running ones), and show events and matches
    flowing through them."""
    from services.common.logging import configure_logging

    configure_logging("WARNING", service="kinlink-demo")
    if (intake_url is None) != (notifier_url is None):
        raise click.UsageError("give both --intake-url and --notifier-url, or neither")
    if intake_url is None or notifier_url is None:
        settings, intake_url, notifier_url = _start_local_stack()
    else:
        settings = CommonSettings.from_env()
        click.echo(f"using the running services at {intake_url} and {notifier_url}")
    from services.demo.backbone import run_backbone_demo

    click.echo("\n== 1. the event backbone: example events, one malformed record ==")
    status = asyncio.run(run_backbone_demo(settings))
    from services.demo.intake import run_intake_demo
    from services.demo.matching import run_matching_demo

    click.echo("\n== 2. the HTTP doors: an alert and a registration through intake ==")
    status |= asyncio.run(run_intake_demo(settings, intake_url))
    from services.demo.investigators import investigator_token, show_notifications, subscribe

    token = investigator_token()
    asyncio.run(subscribe(notifier_url, token))
    click.echo("\n== 3. matching: a synthetic scenario through the correlator ==")
    proposed = asyncio.run(run_matching_demo(settings, children, seed or int(time.time()) % 100000))
    status |= 0 if proposed else 1
    click.echo("\n== 4. investigators: notifications and the dashboard ==")
    dashboard = dashboard_url or f"{notifier_url}/dashboard/"
    status |= asyncio.run(show_notifications(notifier_url, token, proposed, dashboard))
    click.echo("\nthe stack keeps running; `make down` (or `docker compose down`) stops it")
    sys.exit(status)
