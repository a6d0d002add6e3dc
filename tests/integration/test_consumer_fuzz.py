"""The real correlator and notifier consumers on the real broker, fed a hypothesis-generated
batch of broken records of every kind (tests.garbage_records), then valid events: every broken
record ends in the dead-letter topic once per consumer group that reads it, with its reason and
class, and the valid events sent afterwards are applied — consumption never stopped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from services.common.auth import AuthSettings
from services.common.catalog import (
    ALERT_PUBLISHED,
    ALERTS,
    DLQ,
    MATCH_PROPOSED,
    MATCHES,
    REGISTRATION_RECORDED,
    REGISTRATIONS,
    REVIEWS,
    SIGHTING_REPORTED,
    SIGHTINGS,
    topic_for_type,
)
from services.common.config import CommonSettings
from services.common.dead_letters import header
from services.common.envelope import from_kafka
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.correlator.app import create_app as create_correlator
from services.correlator.config import CorrelatorSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.config import NotifierSettings
from tests.garbage_records import BREAKAGES, MARKER, Record, valid_record
from tests.integration.intake.conftest import Keys, keys  # noqa: F401  (fixture)
from tests.integration.kafka_helpers import read_topic

TYPES = [ALERT_PUBLISHED, REGISTRATION_RECORDED, SIGHTING_REPORTED, MATCH_PROPOSED]
# Which consumer groups read each topic.
READERS = {
    ALERTS: {"correlator", "notifier"},
    REGISTRATIONS: {"correlator", "notifier"},
    SIGHTINGS: {"correlator", "notifier"},
    REVIEWS: {"correlator", "notifier"},
    MATCHES: {"notifier"},
}


def _one_of_each_kind() -> Any:
    kinds = sorted(BREAKAGES)

    @st.composite
    def batch(draw: Any) -> list[tuple[str, str, Record]]:
        out = []
        for kind in kinds:
            ce_type = draw(st.sampled_from(TYPES))
            base = valid_record(ce_type, draw(st.integers(0, 3)))
            out.append((kind, ce_type, draw(BREAKAGES[kind][0](base))))
        return draw(st.permutations(out))

    return batch()


def generated_batch(examples: int) -> list[tuple[str, str, Record]]:
    """Every record hypothesis drew over `examples` runs (seeded): each kind several times."""
    drawn: list[tuple[str, str, Record]] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(_one_of_each_kind())
    def collect(batch: list[tuple[str, str, Record]]) -> None:
        drawn.extend(batch)

    collect()
    return drawn


async def _wait_for(predicate: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.3)
    raise AssertionError("condition not met in time")


async def test_garbage_is_dead_lettered_by_every_consumer_and_consumption_goes_on(
    settings: CommonSettings,
    registry: SchemaRegistry,
    keys: Keys,  # noqa: F811  (the fixture imported above)
    pool: Any,
) -> None:
    batch = generated_batch(3)
    assert {kind for kind, _, _ in batch} == set(BREAKAGES)
    sent: dict[tuple[str, int, int], str] = {}  # (topic, partition, offset) -> kind
    async with EventProducer(settings, registry, client_id="fuzz") as producer:
        for kind, ce_type, (key, value, headers) in batch:
            topic = settings.topic(topic_for_type(ce_type))
            meta = await producer.send_raw(topic, key, value, headers)  # type: ignore[arg-type]
            sent[(topic, meta.partition, meta.offset)] = kind
        valid = {t: valid_record(t, 99) for t in (ALERT_PUBLISHED, SIGHTING_REPORTED)}
        for ce_type, (key, value, headers) in valid.items():
            topic = settings.topic(topic_for_type(ce_type))
            await producer.send_raw(topic, key, value, headers)  # type: ignore[arg-type]
    valid_ids = {from_kafka(*record).id for record in valid.values()}  # type: ignore[arg-type]

    auth = AuthSettings(public_keys=keys.folder, private_key=keys.folder / "test.pem")
    runners = [
        web.AppRunner(create_correlator(CorrelatorSettings(common=settings))),
        web.AppRunner(create_notifier(NotifierSettings(common=settings, auth=auth), registry)),
    ]
    for runner in runners:
        await runner.setup()  # the cleanup context starts each service's consumer
    try:

        async def both_applied_the_valid_events() -> bool:
            rows = await pool.fetch(
                "SELECT event_id FROM correlator.inbox UNION ALL"
                " SELECT event_id FROM notifier.inbox"
            )
            applied = [r["event_id"] for r in rows]
            return all(applied.count(event_id) == 2 for event_id in valid_ids)

        await _wait_for(both_applied_the_valid_events)
        expected = sum(len(READERS[_logical(topic, settings)]) for topic, _, _ in sent)
        letters = await read_topic(
            settings.kafka_bootstrap, settings.topic(DLQ), expected=expected, timeout=90
        )
    finally:
        for runner in reversed(runners):
            await runner.cleanup()

    by_record: dict[tuple[str, int, int], set[str]] = {}
    for letter in letters:
        origin = (
            header(letter.headers, "dlq_original_topic") or "",
            int(header(letter.headers, "dlq_original_partition") or -1),
            int(header(letter.headers, "dlq_original_offset") or -1),
        )
        kind = sent[origin]  # every letter is of a record we broke
        reason = header(letter.headers, "dlq_reason") or ""
        assert reason.strip() and MARKER not in reason
        assert header(letter.headers, "dlq_error_class") in BREAKAGES[kind][1], (kind, reason)
        consumer = header(letter.headers, "dlq_consumer") or ""
        by_record.setdefault(origin, set()).add(consumer.split("-")[-1])
    for origin in sent:
        assert by_record.get(origin) == READERS[_logical(origin[0], settings)], sent[origin]


def _logical(topic: str, settings: CommonSettings) -> str:
    return topic.removeprefix(settings.topic_prefix)
