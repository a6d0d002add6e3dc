"""Server-Sent Events: each organisation's notifications, live, resumable by `Last-Event-ID`.

One LISTEN connection per process (`NotificationHub`) wakes the streams of the organisation a
new notification is for; each stream then reads what follows its last `seq` from the store, so
a client that reconnects with `Last-Event-ID` gets exactly what it missed, once. Comment lines
every heartbeat keep proxies from closing an idle stream; they come from the stream's own loop,
also while a read waits on the database, so a database restart never silences a stream: the
read is retried from the last `seq` sent at the next wake-up or heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from services.common.consumer import TRANSIENT
from services.common.http_problems import Problem
from services.common.logging import get_logger
from services.common.retry import Backoff
from services.common.tracing import activate, continue_from
from services.notifier.metrics import NOTIFICATIONS_DELIVERED, NOTIFICATIONS_FAILED
from services.notifier.postgres_notifications import NOTIFICATIONS_CHANNEL

log = get_logger(__name__)

PAGE = 200
HEARTBEAT = b": heartbeat\n\n"
T = TypeVar("T")
# The notifications after a seq (at most PAGE), oldest first.
Read = Callable[[int], Awaitable[list[dict[str, Any]]]]


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
        """Hold the LISTEN; when its session is lost (a database restart cuts it), listen
        again once the database is back, waking every stream to read what it missed."""
        backoff = Backoff(0.5, 10.0)
        while not self._stopping.is_set():
            try:
                await self._listen(backoff)
            except TRANSIENT as exc:
                log.warning("notification hub lost the database, will retry",
                            error=type(exc).__name__)  # fmt: skip
            self._wake_all()
            await backoff.wait(self._stopping)

    async def _listen(self, backoff: Backoff) -> None:
        lost = asyncio.Event()
        async with self._pool.acquire() as conn:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(NOTIFICATIONS_CHANNEL, self._on_notify)
            backoff.reset()
            self._wake_all()  # what was committed while nobody listened
            try:
                waits = [asyncio.create_task(self._stopping.wait()),
                         asyncio.create_task(lost.wait())]  # fmt: skip
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                for waiting in waits:
                    waiting.cancel()
            finally:
                with contextlib.suppress(Exception):
                    await conn.remove_listener(NOTIFICATIONS_CHANNEL, self._on_notify)

    def _wake_all(self) -> None:
        for events in self._waiting.values():
            for event in events:
                event.set()

    def stop(self) -> None:
        self.close()
        self._stopping.set()

    def close(self) -> None:
        """End every open stream (shutdown): clients reconnect elsewhere with Last-Event-ID."""
        self.closing = True
        self._wake_all()

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


async def send(response: web.StreamResponse, item: dict[str, Any]) -> None:
    """Write one notification to a stream, counted and logged in the notification's trace."""
    with activate(continue_from(item.get("traceparent"))):
        try:
            await response.write(frame(item))
        except ConnectionResetError:
            NOTIFICATIONS_FAILED.labels("sse").inc()
            raise
        NOTIFICATIONS_DELIVERED.labels("sse").inc()
        log.info("notification streamed", notification_id=item["id"], seq=item["seq"])


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


async def follow(
    response: web.StreamResponse,
    read: Read,
    hub: NotificationHub,
    woken: asyncio.Event,
    after: int,
    heartbeat: float,
) -> None:
    """Send what follows `after`, then what the hub wakes the stream for, until the hub closes.

    A read the database cannot answer (it restarts, the pool has no session) is not the
    client's problem: the stream keeps beating and reads again from the last seq it sent."""
    while not hub.closing:
        woken.clear()  # before reading: a notification committed meanwhile wakes us
        try:
            items = await beating(response, read(after), heartbeat)
        except TRANSIENT as exc:
            log.warning("stream could not read notifications, will retry",
                        error=type(exc).__name__)  # fmt: skip
            items = []
        else:
            for item in items:
                await send(response, item)
                after = item["seq"]
            if len(items) == PAGE:
                continue
        try:
            await asyncio.wait_for(woken.wait(), heartbeat)
        except TimeoutError:
            await response.write(HEARTBEAT)


async def beating(response: web.StreamResponse, work: Awaitable[T], heartbeat: float) -> T:
    """Await `work` while writing a heartbeat every `heartbeat` seconds it takes."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=heartbeat)
            if done:
                return task.result()
            await response.write(HEARTBEAT)
    finally:
        if not task.done():  # the client went away (or shutdown) while the read was pending
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            task.cancel()
