"""The backbone part of `kinlink demo`: example events through the real broker, one dead letter.

Publishes every example event kept beside the schemas with the validating producer, publishes
one deliberately malformed record, and runs a consumer (the shared ConsumerRunner, with its
inbox in the `demo` schema) that prints what it applied. The malformed record is shown arriving
on the dead-letter topic with its reason. Only ids and types are printed, never child data.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import click

from services.common.catalog import ALERTS, DLQ, MATCHES, REGISTRATIONS, REVIEWS, SIGHTINGS
from services.common.config import CommonSettings
from services.common.consumer import ConsumerRunner
from services.common.db import create_pool
from services.common.dead_letters import header
from services.common.envelope import CloudEvent, from_structured, new_event, to_kafka
from services.common.migrations import migrate
from services.common.producer import EventProducer
from services.common.schema_registry import SCHEMAS_ROOT, SchemaRegistry
from services.demo.topics import scan_topic

EXAMPLES = SCHEMAS_ROOT / "examples"
SCHEMA = "demo"


def example_events() -> list[CloudEvent]:
    """The valid examples, re-issued with fresh ids and times so each run is new."""
    events = []
    for path in sorted(EXAMPLES.glob("org*/*.json")) + sorted(EXAMPLES.glob("*.v1/*.json")):
        original = from_structured(json.loads(path.read_text()))
        events.append(
            new_event(original.type, original.source, original.subject or "", original.data)
        )
    return events


async def run_backbone_demo(settings: CommonSettings) -> int:
    registry = SchemaRegistry.load()
    events = example_events()
    pool = await create_pool(settings.database_url, max_size=3)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, SCHEMA, None)
        async with EventProducer(settings, registry, client_id="kinlink-demo") as producer:
            click.echo(f"publishing {len(events)} example events (schema-validated, acks=all)...")
            await producer.send_many([(e, None) for e in events])
            bad = new_event(events[0].type, "/kinlink/demo", events[0].subject or "", {"oops": 1})
            key, _, headers = to_kafka(bad)
            await producer.send_raw(
                settings.topic(ALERTS), key, json.dumps(bad.data).encode(), headers
            )
            click.echo("publishing 1 malformed alert (bypassing validation) ...")
            seen = await _consume(settings, registry, pool, producer, {e.id for e in events})
        letters = await scan_topic(
            settings,
            DLQ,
            lambda r: header(r.headers, "ce_id") == bad.id,
            first_only=True,
            timeout=20,
        )
    finally:
        await pool.close()
    click.echo(f"{len(seen)}/{len(events)} example events consumed through the broker")
    if not letters:
        click.echo("the malformed record did not reach the dead-letter topic", err=True)
        return 1
    letter = letters[0]
    click.echo(
        f"dead-letter topic {settings.topic(DLQ)}: record from "
        f"{header(letter.headers, 'dlq_original_topic')}"
        f"[{header(letter.headers, 'dlq_original_partition')}]"
        f"@{header(letter.headers, 'dlq_original_offset')}\n"
        f"  reason: {header(letter.headers, 'dlq_reason')}"
    )
    return 0 if len(seen) == len(events) else 1


async def _consume(
    settings: CommonSettings,
    registry: SchemaRegistry,
    pool: Any,
    dead_letters: EventProducer,
    wanted: set[str],
) -> list[CloudEvent]:
    """Run the shared consumer runner until every wanted event was seen (or a minute passed)."""
    seen: list[CloudEvent] = []
    all_seen = asyncio.Event()

    async def show(event: CloudEvent, conn: asyncpg.Connection) -> None:
        if event.id in wanted:
            seen.append(event)
            click.echo(f"  consumed + validated  {event.type:<40} subject={event.subject}")
            if len(seen) == len(wanted):
                all_seen.set()

    runner = ConsumerRunner(
        settings=settings,
        group_id="kinlink-demo",
        topics=[ALERTS, REGISTRATIONS, SIGHTINGS, MATCHES, REVIEWS],
        handler=show,
        pool=pool,
        schema=SCHEMA,
        registry=registry,
        dlq=dead_letters,
    )
    task = asyncio.create_task(runner.run())
    await asyncio.wait(
        [task, asyncio.create_task(all_seen.wait())],
        timeout=60,
        return_when=asyncio.FIRST_COMPLETED,
    )
    runner.stop()
    await task
    return seen
