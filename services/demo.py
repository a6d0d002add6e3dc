"""`kinlink demo`: set the local stack up and show Kinlink working on embedded defaults."""

from __future__ import annotations

import asyncio
import sys

import click

from services.common.config import CommonSettings
from services.stack.stack import Stack


@click.command()
def demo() -> None:
    """Start Kafka + PostgreSQL (+ topics) and run the demo through the real broker."""
    from services.common.logging import configure_logging

    configure_logging("WARNING", service="kinlink-demo")
    stack = Stack.from_env()
    click.echo("starting the local stack (first run downloads the Kafka jars)...")
    stack.start_infra()
    for name, where, running in stack.describe():
        click.echo(f"  {name:<12} {'up  ' if running else 'down'}  {where}")
    settings = CommonSettings.from_env(stack.env())
    from services.demo_backbone import run_backbone_demo

    status = asyncio.run(run_backbone_demo(settings))
    click.echo("the stack keeps running; `make down` stops it")
    sys.exit(status)
