"""How intake shows its records over HTTP, and its opaque pagination cursors."""

from __future__ import annotations

import base64
import json
from typing import Any

import asyncpg

from services.common.envelope import format_time
from services.common.http_problems import Problem


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "The cursor is not one this service issued.") from None


def alert_view(row: asyncpg.Record) -> dict[str, Any]:
    view = {**row["data"], "status": row["status"]}
    if row["resolution"] is not None:
        view["resolution"] = row["resolution"]
    view["created_at"] = format_time(row["created_at"])
    view["updated_at"] = format_time(row["updated_at"])
    return view


def record_view(row: asyncpg.Record) -> dict[str, Any]:
    return {**row["data"], "created_at": format_time(row["created_at"])}
