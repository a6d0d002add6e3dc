"""How intake shows its records (the bodies of its answers), and its opaque pagination cursors."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from typing import Any

from services.common.envelope import format_time
from services.common.errors import InvalidQuery
from services.intake.repository import AlertRevision, AuditRecord, StoredRecord


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise InvalidQuery("The cursor is not one this service issued.") from None


def alert_view(record: StoredRecord) -> dict[str, Any]:
    view = {**record.data, "status": record.status}
    if record.resolution is not None:
        view["resolution"] = record.resolution
    view["created_at"] = format_time(record.created_at)
    if record.updated_at is not None:
        view["updated_at"] = format_time(record.updated_at)
    return view


def record_view(record: StoredRecord) -> dict[str, Any]:
    return {**record.data, "created_at": format_time(record.created_at)}


def audit_view(record: AuditRecord) -> dict[str, Any]:
    return {"id": record.id, "at": format_time(record.at), **asdict(record.entry)}


def revision_view(revision: AlertRevision) -> dict[str, Any]:
    return {
        "revision": revision.revision,
        "at": format_time(revision.at),
        "type": revision.event_type,
        "event_id": revision.event_id,
        "by": revision.org_id,
        "data": revision.data,
    }
