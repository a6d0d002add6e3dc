"""An error after a streamed response started (SSE) ends the connection; before it, the client
gets problem+json as from any route. Loopback server, no other I/O."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestServer

from services.common.http_server import standard_middlewares


async def _stream_then_fail(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"retry: 2000\n\n")
    raise OSError("the database went away")


async def _fail(_: web.Request) -> web.StreamResponse:
    raise OSError("the database went away")


async def _raw_get(server: TestServer, path: str, *, keep_alive: bool = True) -> bytes:
    """Everything the server sends for one GET, until it closes the connection."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    close = "" if keep_alive else "Connection: close\r\n"
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n{close}\r\n".encode())
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(-1), 10)
    finally:
        writer.close()


async def test_a_stream_that_fails_midway_is_closed_not_answered_with_a_second_response() -> None:
    # Found by the chaos run: the 500 problem was written into the open SSE body and the
    # connection kept alive, so the client waited for ever on a silent stream.
    app = web.Application(middlewares=standard_middlewares("test"))
    app.router.add_get("/stream", _stream_then_fail)
    app.router.add_get("/plain", _fail)
    async with TestServer(app) as server:
        sent = await _raw_get(server, "/stream")  # returns only because the server closed
        plain = await _raw_get(server, "/plain", keep_alive=False)
    assert sent.startswith(b"HTTP/1.1 200 OK")
    assert b"retry: 2000" in sent
    assert b"HTTP/1.1 500" not in sent
    assert plain.startswith(b"HTTP/1.1 500")
    assert b"application/problem+json" in plain
