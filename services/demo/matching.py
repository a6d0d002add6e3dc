"""The matching part of `kinlink demo`: a synthetic scenario through the running correlator.

Generates a fresh scenario (children on real routes, noisy registrations and sightings, alerts,
ground truth), publishes its events to Kafka as the partners' feeds would, waits until the
correlator service has consumed them, reads the proposed matches back from the matches topic
and scores them against the truth. Prints ids, scores and signal contributions, not names.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import click
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from services.common.catalog import MATCHES
from services.common.config import CommonSettings
from services.common.envelope import from_kafka, from_structured
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.demo.topics import scan_topic
from services.lab.evaluation import evaluate, format_report
from services.lab.scenario import generate_scenario

CORRELATOR_GROUP = "kinlink-correlator"


async def run_matching_demo(settings: CommonSettings, children: int, seed: int) -> int:
    """Run the scenario; return how many distinct matches the correlator proposed."""
    scenario = generate_scenario(seed=seed, children=children)
    events = [from_structured(e) for e in scenario.events]
    alert_ids = {t.id for t in scenario.truth if t.kind == "alert"}
    observation_ids = {t.id for t in scenario.truth if t.kind != "alert"}
    click.echo(
        f"scenario seed {seed}: {children} children, {len(alert_ids)} alerts, "
        f"{len(events) - len(alert_ids)} other events, {len(scenario.true_pairs())} true pairs"
    )
    started = time.monotonic()
    async with EventProducer(settings, SchemaRegistry.load(), client_id="kinlink-demo") as producer:
        await producer.send_many([(e, None) for e in events])
    click.echo(f"published {len(events)} events in {time.monotonic() - started:.1f}s; matching...")
    await _wait_for_correlator(settings, timeout=300)

    # The local stack keeps earlier demos' records: score only this scenario's pairs.
    def in_scenario(record: Any) -> bool:
        data = from_kafka(record.key, record.value, record.headers).data
        return data["alert_id"] in alert_ids and data["observation"]["id"] in observation_ids

    records = await scan_topic(settings, MATCHES, in_scenario, timeout=120)
    proposals = [from_kafka(r.key, r.value, r.headers).data for r in records]
    click.echo(f"correlator proposed {len(proposals)} matches in {time.monotonic() - started:.1f}s")
    # Withdrawals (match.withdrawn) carry no score: show the best standing proposals.
    best = sorted((p for p in proposals if "score" in p), key=lambda p: -p["score"])[:5]
    for p in best:
        signals = ", ".join(
            f"{e['signal']} {e['contribution']:+.1f}" for e in p["explanation"] if e["contribution"]
        )
        click.echo(
            f"  {p['score']:.3f}  alert {p['alert_id'][:8]} ~ {p['observation']['type']} "
            f"{p['observation']['id'][:8]}  [{signals}]"
        )
    click.echo(format_report(evaluate(proposals, scenario.truth), "quality against the truth"))
    return len({p["match_id"] for p in proposals})


async def _wait_for_correlator(settings: CommonSettings, timeout: float) -> None:
    """Until the correlator's group has committed up to the end of every input topic."""
    options = settings.kafka_client_options()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, **options)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, **options)
    await admin.start()
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                committed = await admin.list_consumer_group_offsets(CORRELATOR_GROUP)
            except KafkaError:
                committed = {}
            inputs = [tp for tp in committed if not tp.topic.endswith(MATCHES)]
            if inputs:
                ends = await consumer.end_offsets(inputs)
                if all(committed[tp].offset >= ends[tp] for tp in inputs):
                    await asyncio.sleep(1.5)  # let the outbox relay publish the last proposals
                    return
            await asyncio.sleep(0.5)
    finally:
        await consumer.stop()
        await admin.close()
    raise click.ClickException(
        "the correlator did not catch up in time; see its log (.cache/services under make up)"
    )
