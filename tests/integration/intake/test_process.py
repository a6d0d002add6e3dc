"""`python -m services.intake`: serves on its port, and on SIGTERM exits cleanly after
draining the outbox relay."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from typing import Any

import aiohttp

from services.common.catalog import ALERTS
from services.common.outbox_backlog import backlog
from services.intake.config import SCHEMA, IntakeSettings
from tests.integration.intake import bodies
from tests.integration.intake.conftest import Keys, TokenFactory, bearer
from tests.integration.kafka_helpers import read_topic


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_service_runs_and_shuts_down_gracefully_on_sigterm(
    intake_settings: IntakeSettings, keys: Keys, token: TokenFactory, pool: Any
) -> None:
    common = intake_settings.common
    port = _free_port()
    env = {
        **os.environ,
        "KINLINK_KAFKA_BOOTSTRAP": common.kafka_bootstrap,
        "KINLINK_DATABASE_URL": common.database_url,
        "KINLINK_TOPIC_PREFIX": common.topic_prefix,
        "KINLINK_INTAKE_PORT": str(port),
        "KINLINK_AUTH_PUBLIC_KEYS": str(keys.folder),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.intake",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{base}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
            async with http.post(
                f"{base}/v1/alerts", json=bodies.alert(), headers=bearer(token("police"))
            ) as response:
                assert response.status == 201
                alert_id = (await response.json())["alert_id"]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    logs = stderr.decode()
    assert "Samir" not in logs and "Haidari" not in logs  # no personal data in the logs
    assert '"route": "/v1/alerts"' in logs
    async with pool.acquire() as conn:
        assert await backlog(conn, SCHEMA) == 0
    [record] = await read_topic(common.kafka_bootstrap, common.topic(ALERTS), expected=1)
    assert record.key == alert_id.encode()


async def test_cli_publishes_records_from_files(
    client: Any, token: TokenFactory, tmp_path: Any
) -> None:
    from click.testing import CliRunner

    from services.intake.cli import alert, sighting

    url = str(client.make_url("")).rstrip("/")
    alert_file = tmp_path / "alert.json"
    alert_file.write_text(json.dumps(bodies.alert()))
    runner = CliRunner()
    args = ["publish", str(alert_file), "--url", url, "--token", token("police")]
    published = await asyncio.to_thread(runner.invoke, alert, args)
    assert published.exit_code == 0, published.output
    # (the in-process server's own log lines land in the captured output too)
    assert '"status": "active"' in published.stdout

    bad_file = tmp_path / "sighting.json"
    bad_file.write_text(json.dumps(bodies.sighting(observed_at="soon")))
    args = ["report", str(bad_file), "--url", url, "--token", token("hotline")]
    refused = await asyncio.to_thread(runner.invoke, sighting, args)
    assert refused.exit_code == 1
    assert "/observed_at" in refused.output
