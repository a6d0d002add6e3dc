"""Readiness checks of the dependencies every service shares: PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def database_ready(pool: Any) -> bool:
    """Whether the pool hands out a connection that answers within two seconds."""
    try:
        async with asyncio.timeout(2.0), pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT 1") == 1)
    except Exception:  # whatever fails, the database is not usable now
        return False


async def kafka_reachable(bootstrap: str, connect_timeout: float = 1.0) -> bool:
    """Whether any bootstrap server accepts a TCP connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            connecting = asyncio.open_connection(host, int(port))
            _, writer = await asyncio.wait_for(connecting, connect_timeout)
        except (TimeoutError, OSError, ValueError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False
