"""`kinlink demo`: set the local stack up and show Kinlink working on embedded defaults."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import click

from services.common.config import CommonSettings
from services.devstack.stack import Stack


@click.command()
@click.option("--children", default=300, show_default=True, help="Size of the demo scenario.")
@click.option("--seed", type=int, default=None, help="Scenario seed (default: a new one per run).")
def demo(children: int, seed: int | None) -> None:
    """Start the local stack and services, and show events and matches flowing through them."""
    from services.common.logging import configure_logging

    configure_logging("WARNING", service="kinlink-demo")
    stack = Stack.from_env()
    click.echo("starting the local stack (first run downloads the Kafka jars)...")
    stack.start_infra()
    for name, where, running in stack.describe()[:2]:
        click.echo(f"  {name:<12} {'up  ' if running else 'down'}  {where}")
    settings = CommonSettings.from_env(stack.env())
    from services.demo.backbone import run_backbone_demo

    click.echo("starting the services...")
    stack.start_services()
    for name, where, running in stack.describe()[2:]:
        click.echo(f"  {name:<12} {'up  ' if running else 'down'}  {where}")
    click.echo("\n== 1. the event backbone: example events, one malformed record ==")
    status = asyncio.run(run_backbone_demo(settings))
    from services.demo.intake import run_intake_demo
    from services.demo.matching import run_matching_demo

    click.echo("\n== 2. the HTTP doors: an alert and a registration through intake ==")
    intake_url = f"http://127.0.0.1:{os.environ.get('KINLINK_INTAKE_PORT', '8080')}"
    status |= asyncio.run(run_intake_demo(settings, intake_url))
    from services.demo.investigators import investigator_token, show_notifications, subscribe

    notifier_url = f"http://127.0.0.1:{os.environ.get('KINLINK_NOTIFIER_PORT', '8090')}"
    token = investigator_token()
    asyncio.run(subscribe(notifier_url, token))
    click.echo("\n== 3. matching: a synthetic scenario through the correlator ==")
    proposed = asyncio.run(run_matching_demo(settings, children, seed or int(time.time()) % 100000))
    status |= 0 if proposed else 1
    click.echo("\n== 4. investigators: notifications and the dashboard ==")
    status |= asyncio.run(show_notifications(notifier_url, token, proposed))
    click.echo("\nthe stack keeps running; `make down` stops it")
    sys.exit(status)
