"""`kinlink up | down | status`: run the local stack in the background and report where it is."""

from __future__ import annotations

import click

from services.devstack.stack import Stack


def _print_status(stack: Stack) -> None:
    for name, where, running in stack.describe():
        click.echo(f"  {name:<12} {'up  ' if running else 'down'}  {where}")


@click.command()
def up() -> None:
    """Start Kafka, PostgreSQL, the topics and every service in the background."""
    stack = Stack.from_env()
    click.echo("starting the local stack (first run downloads the Kafka jars)...")
    stack.start_infra()
    stack.start_services()
    _print_status(stack)


@click.command()
def down() -> None:
    """Stop the services, then the broker and the database (data is kept)."""
    stack = Stack.from_env()
    stack.stop_services()
    stack.stop_infra()
    _print_status(stack)


@click.command()
def status() -> None:
    """Show what runs and where it listens."""
    _print_status(Stack.from_env())
