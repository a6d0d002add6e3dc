"""Crash and scale: a killed and restarted correlator, and two instances in one group, produce
exactly the matches of one uninterrupted instance."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from services.common.config import CommonSettings
from services.common.db import create_pool
from services.common.envelope import CloudEvent, from_structured, to_structured
from services.common.producer import EventProducer
from services.common.schema_registry import SchemaRegistry
from services.correlator.offline import final_state, run_match
from services.lab.scenario import generate_scenario
from tests.engine_tables import engine as engine_for_tests
from tests.integration.correlator.harness import (
    live_matches,
    start_correlator,
    stored_matches,
    wait_until_idle,
)
from tests.stack_fixtures import SettingsFactory

GROUP = "kinlink-correlator"
KEPT = {
    "org.kinlink.alert.published.v1",
    "org.kinlink.registration.recorded.v1",
    "org.kinlink.sighting.reported.v1",
}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def scenario_events() -> list[CloudEvent]:
    # Publications and observations only (test_arrival_orders covers updates and resolutions):
    # their final matches do not depend on the order in which partitions are read.
    scenario = generate_scenario(seed=11, children=60)
    return [from_structured(e) for e in scenario.events if e["type"] in KEPT]


async def publish_all(settings: CommonSettings, events: list[CloudEvent]) -> None:
    async with EventProducer(settings, SchemaRegistry.load(), client_id="test") as producer:
        await producer.send_many([(e, None) for e in events])


async def one_uninterrupted_run(
    settings: CommonSettings, events: list[CloudEvent]
) -> dict[str, Any]:
    pool = await create_pool(settings.database_url)
    try:
        await publish_all(settings, events)
        service = await start_correlator(settings)
        try:
            await wait_until_idle(pool, settings, GROUP, expected=len(events), timeout=120)
        finally:
            await service.stop()
        return await live_matches(pool)
    finally:
        await pool.close()


async def test_two_instances_in_one_group_equal_one(settings_factory: SettingsFactory) -> None:
    events = scenario_events()
    reference = await one_uninterrupted_run(await settings_factory(), events)
    assert len(reference) >= 5
    # The offline door drives the same engine: the same matches with the same scores.
    matched = run_match((to_structured(event) for event in events), engine_for_tests())
    offline = {m: d["score"] for m, d in final_state(matched).items()}
    assert offline == reference

    settings = await settings_factory()
    pool = await create_pool(settings.database_url)
    try:
        first = await start_correlator(settings)
        second = await start_correlator(settings)
        try:
            await publish_all(settings, events)
            await wait_until_idle(pool, settings, GROUP, expected=len(events), timeout=120)
        finally:
            await asyncio.gather(first.stop(), second.stop())
        assert await live_matches(pool) == reference
    finally:
        await pool.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _logged(proc: subprocess.Popen[bytes]) -> str:
    if proc.stderr is None:
        return ""
    proc.stderr.seek(0)
    return proc.stderr.read().decode(errors="replace")[-4000:]


def _spawn(settings: CommonSettings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KINLINK_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "KINLINK_DATABASE_URL": settings.database_url,
        "KINLINK_TOPIC_PREFIX": settings.topic_prefix,
        "KINLINK_CORRELATOR_PORT": str(_free_port()),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.correlator"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: nobody reads a pipe while it runs, and a full one blocks it.
        stderr=tempfile.TemporaryFile(),
    )


async def test_killed_and_restarted_mid_stream_equals_uninterrupted(
    settings_factory: SettingsFactory,
) -> None:
    events = scenario_events()
    reference = await one_uninterrupted_run(await settings_factory(), events)

    settings = await settings_factory()
    pool = await create_pool(settings.database_url)
    try:
        await publish_all(settings, events)
        victim = _spawn(settings)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill it once it is part-way through
            if await pool.fetchval("SELECT to_regclass('correlator.matches') IS NOT NULL") and (
                await pool.fetchval("SELECT count(*) FROM correlator.matches")
                >= len(reference) // 3
            ):
                break
            assert victim.poll() is None, _logged(victim)
            await asyncio.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)
        partial = len(await stored_matches(pool))
        assert 0 < partial < len(reference) or partial == len(reference)

        survivor = _spawn(settings)
        try:
            await wait_until_idle(pool, settings, GROUP, expected=len(events), timeout=120)
        finally:
            survivor.terminate()
            _, err = await asyncio.to_thread(survivor.communicate, None, 60)
        assert survivor.returncode == 0, err.decode()[-3000:]
        assert await live_matches(pool) == reference
    finally:
        await pool.close()
