"""Server-Sent Events: each organisation's notifications, live, resumable by `Last-Event-ID`.

One LISTEN connection per process (`NotificationHub`) wakes the streams of the organisation a
new notification is for; each stream then reads what follows its last `seq` from the store, so
a client that reconnects with `Last-Event-ID` gets exactly what it missed, once. Comment lines
every heartbeat keep proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from services.common.http_problems import Problem
from services.notifier.postgres_notifications import NOTIFICATIONS_CHANNEL

_PAGE = 200


class NotificationHub:
    """A background worker holding the LISTEN; streams wait on it."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._stopping = asyncio.Event()
        self.closing = False

    def _on_notify(self, _conn: object, _pid: int, _channel: str, org_id: str) -> None:
        for event in self._waiting.get(org_id, ()):
            event.set()

    async def run(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.add_listener(NOTIFICATIONS_CHANNEL, self._on_notify)
            try:
                await self._stopping.wait()
            finally:
                with contextlib.suppress(Exception):
                    await conn.remove_listener(NOTIFICATIONS_CHANNEL, self._on_notify)

    def stop(self) -> None:
        self.close()
        self._stopping.set()

    def close(self) -> None:
        """End every open stream (shutdown): clients reconnect elsewhere with Last-Event-ID."""
        self.closing = True
        for events in self._waiting.values():
            for event in events:
                event.set()

    def watch(self, org_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiting.setdefault(org_id, set()).add(event)
        return event

    def unwatch(self, org_id: str, event: asyncio.Event) -> None:
        waiting = self._waiting.get(org_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[org_id]


def last_event_id(request: web.Request) -> int:
    """Where to resume: the `Last-Event-ID` header (a reconnecting EventSource sends it), else
    the `last_event_id` query, else 0. Each one given must be a seq, or 400 naming it."""
    seqs = []
    for where, raw in (
        ("Last-Event-ID", request.headers.get("Last-Event-ID")),
        ("last_event_id", request.query.get("last_event_id")),
    ):
        if raw is None:
            continue
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise Problem(400, f"{where} must be a notification seq (a non-negative integer).")
        seqs.append(int(raw))
    return seqs[0] if seqs else 0


def frame(item: dict[str, Any]) -> bytes:
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return f"id: {item['seq']}\nevent: {item['kind']}\ndata: {data}\n\n".encode()


async def open_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache, no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    await response.write(b"retry: 2000\n\n")
    return response
