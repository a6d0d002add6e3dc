"""Inbox: remember which events a consumer has applied, inside the consumer's own transaction."""

from __future__ import annotations

import asyncpg


async def claim(
    conn: asyncpg.Connection, schema: str, consumer: str, event_id: str, event_type: str
) -> bool:
    """Record the event as processed; False if it already was (a redelivery: do nothing).

    Must run inside the transaction that applies the event's effect, so both commit or neither.
    """
    row = await conn.fetchrow(
        f'INSERT INTO "{schema}".inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)'
        " ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        event_id,
        event_type,
    )
    return row is not None
