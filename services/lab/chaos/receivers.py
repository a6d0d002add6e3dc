"""The investigators' side: webhook receivers that can be slow or fail, and SSE clients that
drop their connection and resume with `Last-Event-ID`. Each records what it received."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web


@dataclass(frozen=True)
class Received:
    """One delivery of one notification: the id it came with, and what it is about."""

    delivered_id: str  # webhook-id header, or the SSE event's data id
    body_id: str
    subscription_id: str | None
    match_id: str
    revision: int
    kind: str

    @property
    def identity(self) -> tuple[str | None, str, int, str]:
        """What makes two notifications the same one (and so requires the same id)."""
        return (self.subscription_id, self.match_id, self.revision, self.kind)


def received(delivered_id: str, item: Mapping[str, Any]) -> Received:
    match = item["match"]
    return Received(delivered_id, str(item["id"]), item.get("subscription_id"),
                    str(match["match_id"]), int(match["revision"]), str(item["kind"]))  # fmt: skip


@dataclass
class WebhookReceiver:
    """An HTTP endpoint on loopback. `slow_until` / `failing_until` (monotonic times) make it
    answer late (sometimes past the notifier's timeout) or with 503 for a while."""

    port: int
    rng: random.Random
    slow_until: float = 0.0
    failing_until: float = 0.0
    deliveries: list[Received] = field(default_factory=list)
    refused: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = time.monotonic()
        if now < self.failing_until:
            self.refused += 1
            return web.Response(status=503)
        if now < self.slow_until:
            await asyncio.sleep(self.rng.uniform(0.2, 3.0))
        self.deliveries.append(received(request.headers["webhook-id"], json.loads(body)))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class SseClient:
    """Follows one organisation's stream; reconnects (after a drop, or while the notifier is
    down) with the last `seq` it saw as `Last-Event-ID`, as a browser's EventSource does."""

    url: str
    token: str
    items: list[Received] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)
    last_seq: int = 0
    _connection: asyncio.Task[None] | None = None
    _stopping: bool = False

    def drop(self) -> None:
        """Cut the connection now, as a network failure would."""
        if self._connection is not None:
            self._connection.cancel()

    async def run(self) -> None:
        # Heartbeats come every few seconds: silence for longer means a dead connection (as
        # an EventSource would conclude), so give up on it and resume elsewhere.
        timeout = aiohttp.ClientTimeout(total=None, connect=10, sock_connect=3, sock_read=15)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while not self._stopping:
                self._connection = asyncio.create_task(self._follow(http))
                try:
                    await self._connection
                except asyncio.CancelledError:
                    if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                        raise  # the run itself is cancelled, not just the connection
                except Exception as exc:  # noqa: BLE001 - a cut stream ends in many ways
                    # A stream cut mid-event (a killed notifier) ends in a half line: the
                    # browser drops it and resumes from the last whole event; so do we.
                    self.errors.append(f"{type(exc).__name__}: {str(exc)[:80]}")
                if self._stopping:
                    return
                self.reconnects += 1
                await asyncio.sleep(0.3)

    def stop(self) -> None:
        self._stopping = True
        self.drop()

    async def _follow(self, http: aiohttp.ClientSession) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        if self.last_seq:
            headers["Last-Event-ID"] = str(self.last_seq)
        async with http.get(f"{self.url}/v1/notifications/stream", headers=headers) as response:
            if response.status != 200:
                return
            event_id, data = None, None
            async for raw in response.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    self.items.append(received(str(data["id"]), data))
                    self.seqs.append(event_id or 0)
                    self.last_seq = event_id or self.last_seq
                    event_id, data = None, None
