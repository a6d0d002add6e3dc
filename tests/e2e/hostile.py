"""A service run as its real process (`python -m services.<name>`, the same `serve()` and HTTP
parser limits as in production) on the test run's Kafka and PostgreSQL, and raw-socket clients
that misbehave: oversized, malformed or trickled requests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from services.common.config import CommonSettings
from tests.integration.intake import bodies
from tests.integration.intake.conftest import TokenFactory

BODY_TIMEOUT = 2.0  # seconds a service waits for a request body in these tests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Service:
    """A running service process and one request of each kind it must keep answering."""

    name: str
    port: int
    pid: int
    token: str
    write_path: str
    write_body: dict[str, Any]
    max_body: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def rss_bytes(self) -> int:
        """Resident memory of the process (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    async def still_serves(self) -> None:
        """/healthz answers, and a valid write and the read of what it wrote still succeed."""
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(f"{self.base}/healthz") as response:
                assert response.status == 200
            async with http.post(
                f"{self.base}{self.write_path}", json=self.write_body, headers=self.auth
            ) as response:
                assert response.status == 201, await response.text()
                location = response.headers["Location"]
            async with http.get(f"{self.base}{location}", headers=self.auth) as response:
                assert response.status == 200, await response.text()


SERVICES = {
    # name: (settings prefix, caller kind, write path, valid body)
    "intake": ("KINLINK_INTAKE", "hotline", "/v1/sightings", bodies.sighting),
    "notifier": (
        "KINLINK_NOTIFIER",
        "investigator",
        "/v1/subscriptions",
        lambda: {"name": "night shift"},
    ),
}


@contextlib.asynccontextmanager
async def run_service(
    name: str, common: CommonSettings, keys_folder: Path, token: TokenFactory
) -> AsyncIterator[Service]:
    prefix, kind, write_path, body = SERVICES[name]
    port = free_port()
    max_body = 64 * 1024
    env = {
        **os.environ,
        "KINLINK_KAFKA_BOOTSTRAP": common.kafka_bootstrap,
        "KINLINK_DATABASE_URL": common.database_url,
        "KINLINK_TOPIC_PREFIX": common.topic_prefix,
        "KINLINK_AUTH_PUBLIC_KEYS": str(keys_folder),
        f"{prefix}_PORT": str(port),
        f"{prefix}_MAX_BODY": str(max_body),
        f"{prefix}_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "KINLINK_LOG_LEVEL": "warning",
        # These tests are about the HTTP layer: one token and one address send far more than a
        # client would, and a 429 would hide what they check (rate limits have their own tests).
        "KINLINK_RATE_LIMIT_SUBJECT_RPS": "0",
        "KINLINK_RATE_LIMIT_ADDRESS_RPS": "0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"services.{name}",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    service = Service(name, port, process.pid, token(kind), write_path, body(), max_body)
    try:
        await _wait_until_up(service, process)
        yield service
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_until_up(service: Service, process: Any) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if process.returncode is not None:
                raise RuntimeError(f"{service.name} exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{service.base}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{service.name} did not become ready")


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def raw_request(port: int, data: bytes, *, read_timeout: float = 30.0) -> RawResponse:
    """Send bytes as they are and read one HTTP/1.1 response (connection closed after)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        with contextlib.suppress(ConnectionError):
            writer.write(data)
            await writer.drain()
        return await asyncio.wait_for(read_response(reader), read_timeout)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def read_response(reader: asyncio.StreamReader) -> RawResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return RawResponse(status, headers, body)


def request_head(
    service: Service, path: str, *, length: int | None, extra: str = "", method: str = "POST"
) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{service.port}",
        f"Authorization: Bearer {service.token}",
        "Content-Type: application/json",
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
