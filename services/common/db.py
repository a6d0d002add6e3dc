"""The one asyncpg pool per service: JSON codecs set once (orjson out, services.common.json_codec),
sized from settings."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.common.json_codec import dumps_text


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            encoder=dumps_text,
            decoder=json.loads,
            schema="pg_catalog",
        )


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10) -> Any:
    """A pool whose connections decode json/jsonb to Python objects and back."""
    return await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=_init_connection
    )
