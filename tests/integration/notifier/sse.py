"""A small Server-Sent Events client for tests: reads frames, remembers the last id."""

from __future__ import annotations

import asyncio
import json
from typing import Any

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
