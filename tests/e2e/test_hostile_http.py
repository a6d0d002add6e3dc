"""Hostile HTTP input against intake and the notifier, each run as its real process.

Oversized, compressed-bomb, deeply nested, non-UTF-8 bodies; oversized and too many headers;
bodies trickled a byte at a time; hundreds of stalled connections at once. Each is refused
cleanly (problem+json naming the problem where the application sees the request, aiohttp's
400 where its parser refuses first), and afterwards the service still answers /healthz and a
valid write and read.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from services.common.config import CommonSettings
from tests.e2e.hostile import (
    BODY_TIMEOUT,
    Service,
    raw_request,
    read_response,
    request_head,
    run_service,
)
from tests.integration.intake.conftest import Keys, TokenFactory


@pytest.fixture(params=["intake", "notifier"])
async def service(
    request: Any, settings: CommonSettings, keys: Keys, token: TokenFactory
) -> AsyncIterator[Service]:
    async with run_service(request.param, settings, keys.folder, token) as running:
        yield running


async def _post(service: Service, data: bytes, **headers: str) -> tuple[int, dict[str, Any]]:
    sent = {"Content-Type": "application/json", **service.auth, **headers}
    timeout = aiohttp.ClientTimeout(total=60)
    url = f"{service.base}{service.write_path}"
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(url, data=data, headers=sent) as response,
    ):
        assert response.content_type == "application/problem+json", response.content_type
        return response.status, await response.json()


async def test_bad_bodies_are_refused_cleanly(service: Service) -> None:
    too_big = b'{"name": "' + b"x" * service.max_body + b'"}'
    assert (await _post(service, too_big))[0] == 413

    async def trickle() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse early
        for _ in range(service.max_body // 8192 + 2):
            yield b" " * 8192

    async with aiohttp.ClientSession() as http, http.post(
        f"{service.base}{service.write_path}",
        data=trickle(),
        headers={"Content-Type": "application/json", **service.auth},
    ) as response:
        assert response.status == 413
        assert (await response.json())["status"] == 413

    # 20 MB of JSON in a 20 kB gzip body: refused at the size limit, never inflated whole.
    rss_before = service.rss_bytes()
    bomb = gzip.compress(b"[" + b"0," * 10_000_000 + b"0]", compresslevel=9)
    status, _ = await _post(service, bomb, **{"Content-Encoding": "gzip"})
    assert status == 413
    assert service.rss_bytes() - rss_before < 50 * 1024 * 1024

    deepest = b"[" * 100_000 + b"]" * 100_000  # over the limit here: 413 or 400, never 500
    assert (await _post(service, deepest))[0] in (400, 413)
    status, problem = await _post(service, b"[" * 20_000 + b"]" * 20_000)
    assert status == 400 and "nests deeper" in problem["detail"]

    status, problem = await _post(service, b'{"name": "\xff\xfe caf\xc3"}')
    assert status == 400 and "not valid JSON" in problem["detail"]
    status, _ = await _post(service, b'{"name": 1' + b"0" * 5000 + b"}")
    assert status == 400
    # JSON that is well-formed yet holds a lone surrogate, which no database stores.
    surrogate = json.dumps({**service.write_body, "name": "\ud800"}).encode()
    if service.name == "intake":
        child = {**service.write_body["child"], "given_names": "\ud800"}
        surrogate = json.dumps({**service.write_body, "child": child}).encode()
    status, _ = await _post(service, surrogate)
    assert 400 <= status < 500

    await service.still_serves()


async def test_oversized_and_too_many_headers_are_refused(service: Service) -> None:
    big = "X-Big: " + "a" * 64_000
    answer = await raw_request(
        service.port, request_head(service, "/healthz", length=None, method="GET", extra=big)
    )
    assert answer.status in (400, 431)

    many = "\r\n".join(f"X-H{i}: {i}" for i in range(500))
    answer = await raw_request(
        service.port, request_head(service, "/healthz", length=None, method="GET", extra=many)
    )
    assert answer.status in (400, 431)

    long_path = "/healthz?" + "q" * 20_000
    answer = await raw_request(
        service.port, request_head(service, long_path, length=None, method="GET")
    )
    assert answer.status in (400, 414)

    await service.still_serves()


async def test_a_trickled_body_times_out_while_others_are_served(service: Service) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    try:
        writer.write(request_head(service, service.write_path, length=1000))
        writer.write(b'{"name": ')
        await writer.drain()

        async def drip() -> None:
            with contextlib.suppress(ConnectionError):
                for _ in range(1000):
                    await asyncio.sleep(0.25)
                    writer.write(b" ")
                    await writer.drain()

        dripping = asyncio.create_task(drip())
        await service.still_serves()  # answered while the trickle goes on
        assert not dripping.done()
        answer = await asyncio.wait_for(read_response(reader), BODY_TIMEOUT * 10)
        assert answer.status == 408
        problem = json.loads(answer.body)
        assert problem["status"] == 408 and "did not arrive" in problem["detail"]
        assert answer.headers.get("connection", "").lower() == "close"
        await asyncio.wait_for(dripping, BODY_TIMEOUT * 10)  # the server hung up on it
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_hundreds_of_stalled_connections_do_not_take_the_service_down(
    service: Service,
) -> None:
    rss_before = service.rss_bytes()
    writers: list[asyncio.StreamWriter] = []
    try:
        for i in range(400):
            _, writer = await asyncio.open_connection("127.0.0.1", service.port)
            if i % 2:  # half stall in the headers, half in a body that never completes
                writer.write(f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow-{i}: ".encode())
            else:
                writer.write(request_head(service, service.write_path, length=60_000) + b"[")
            await writer.drain()
            writers.append(writer)
        await service.still_serves()
        grown = service.rss_bytes() - rss_before
        # A sanity bound far above the normal (a few MB): memory does not grow per byte promised.
        assert grown < 100 * 1024 * 1024, grown
    finally:
        for writer in writers:
            writer.close()
    await asyncio.sleep(BODY_TIMEOUT)
    await service.still_serves()
