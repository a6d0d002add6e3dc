"""The SSE hub keeps listening across a database restart."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from services.common.config import CommonSettings
from services.notifier.postgres_notifications import NOTIFICATIONS_CHANNEL
from services.notifier.stream import NotificationHub


async def _woken(event: asyncio.Event, url: str, org: str, seconds: float = 20.0) -> bool:
    """NOTIFY for `org` until the hub wakes its watcher (it may still be reconnecting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFICATIONS_CHANNEL, org)
        finally:
            await conn.close()
        try:
            await asyncio.wait_for(event.wait(), 0.5)
            return True
        except TimeoutError:
            continue
    return False


async def test_streams_are_woken_again_after_the_database_cut_the_hubs_session(
    pool: Any, settings: CommonSettings
) -> None:
    """A PostgreSQL restart cut the hub's LISTEN for good: until the notifier was restarted,
    streams saw new notifications only at their next heartbeat."""
    hub = NotificationHub(pool)
    task = asyncio.create_task(hub.run())
    woken = hub.watch("org-a")
    try:
        assert await _woken(woken, settings.database_url, "org-a")
        conn = await asyncpg.connect(settings.database_url)
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        await asyncio.sleep(1.0)  # the hub notices, wakes every stream, listens again
        woken.clear()
        assert await _woken(woken, settings.database_url, "org-a")
        assert not task.done()
    finally:
        hub.stop()
        await asyncio.wait_for(task, 10)
