"""Small Server-Sent Events clients for tests: one read in step by the test, one that follows a
stream in the background and reconnects as a browser does."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient


class SSEClient:
    def __init__(self, client: TestClient[Any, Any], token: str) -> None:
        self._client = client
        self._token = token
        self.last_id: str | None = None
        self.heartbeats = 0
        self._response: Any = None

    async def connect(self) -> None:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "text/event-stream"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = self.last_id
        self._response = await self._client.get("/v1/notifications/stream", headers=headers)
        assert self._response.status == 200
        assert self._response.headers["Content-Type"].startswith("text/event-stream")

    def disconnect(self) -> None:
        self._response.close()

    async def events(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The next `count` events (id, event, data), waiting up to `timeout` seconds."""
        out: list[dict[str, Any]] = []
        frame: dict[str, Any] = {}
        async with asyncio.timeout(timeout):
            while len(out) < count:
                line = (await self._response.content.readline()).decode().rstrip("\n")
                if line.startswith(":"):
                    self.heartbeats += 1
                elif line.startswith("id: "):
                    frame["id"] = line[4:]
                elif line.startswith("event: "):
                    frame["event"] = line[7:]
                elif line.startswith("data: "):
                    frame["data"] = json.loads(line[6:])
                elif line == "" and "data" in frame:
                    out.append(frame)
                    self.last_id = frame["id"]
                    frame = {}
        return out


class Follower:
    """Follows one stream in the background as a browser's EventSource does: when the server
    ends it, reconnects with the last id it saw as `Last-Event-ID`. Records what arrived."""

    def __init__(self, client: TestClient[Any, Any], token: str) -> None:
        self._client = client
        self._token = token
        self.ids: list[str] = []  # notification ids, in arrival order
        self.last_id: str | None = None
        self.heartbeats = 0
        self.statuses: list[int] = []  # one per connection
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            headers = {"Authorization": f"Bearer {self._token}", "Accept": "text/event-stream"}
            if self.last_id is not None:
                headers["Last-Event-ID"] = self.last_id
            with contextlib.suppress(aiohttp.ClientError):
                async with self._client.get(
                    "/v1/notifications/stream", headers=headers
                ) as response:
                    self.statuses.append(response.status)
                    if response.status == 200:
                        await self._read(response)
            await asyncio.sleep(0.2)  # the server ended the stream: reconnect, as a browser does

    async def _read(self, response: Any) -> None:
        frame: dict[str, Any] = {}
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith(":"):
                self.heartbeats += 1
            elif line.startswith("id: "):
                frame["id"] = line[4:]
            elif line.startswith("data: "):
                frame["data"] = json.loads(line[6:])
            elif line == "" and "data" in frame:
                self.ids.append(frame["data"]["id"])
                self.last_id = frame["id"]
                frame = {}
