"""CloudEvents 1.0 envelope: one in-memory form, Kafka binary mode and JSONL structured mode.

Binary mode (Kafka): attributes in `ce_*` headers, JSON data as the value, the entity id as key.
Structured mode (files): one JSON object per line with the attributes and `data`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.common.catalog import dataschema_for
from services.common.json_codec import dumps
from services.common.json_limits import JsonRefused, parse_json

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
_REQUIRED = ("specversion", "id", "source", "type", "time")
_KNOWN = {*_REQUIRED, "subject", "datacontenttype", "dataschema", "data"}
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """The bytes or object are not a CloudEvent we can read; `reason` says why, without data."""


@dataclass(frozen=True)
class CloudEvent:
    """A CloudEvent with JSON data. `time` is timezone-aware."""

    id: str
    source: str
    type: str
    time: datetime
    data: Any
    subject: str | None = None
    datacontenttype: str = CONTENT_TYPE
    dataschema: str | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str | None:
        """The Kafka key: the entity id."""
        return self.subject


def new_event(
    ce_type: str,
    source: str,
    subject: str,
    data: Any,
    *,
    time: datetime | None = None,
    event_id: str | None = None,
    extensions: Mapping[str, str] | None = None,
) -> CloudEvent:
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=ce_type,
        time=time or datetime.now(UTC),
        data=data,
        subject=subject,
        dataschema=dataschema_for(ce_type),
        extensions=dict(extensions or {}),
    )


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("CloudEvent time must be timezone-aware")
    return value.isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise EnvelopeError("time is not an RFC 3339 timestamp") from exc
    if parsed.tzinfo is None:
        raise EnvelopeError("time has no UTC offset")
    return parsed


def to_structured(event: CloudEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": format_time(event.time),
    }
    if event.subject is not None:
        out["subject"] = event.subject
    out["datacontenttype"] = event.datacontenttype
    if event.dataschema is not None:
        out["dataschema"] = event.dataschema
    out.update(event.extensions)
    out["data"] = event.data
    return out


def from_structured(obj: Any) -> CloudEvent:
    if not isinstance(obj, dict):
        raise EnvelopeError("a structured CloudEvent must be a JSON object")
    missing = [
        name for name in _REQUIRED if not isinstance(obj.get(name), str) or not obj.get(name)
    ]
    if missing:
        raise EnvelopeError(f"missing or empty attributes: {', '.join(missing)}")
    if obj["specversion"] != SPECVERSION:
        raise EnvelopeError("specversion must be 1.0")
    extensions = {k: str(v) for k, v in obj.items() if k not in _KNOWN}
    bad = [k for k in extensions if not _EXTENSION_NAME.match(k)]
    if bad:
        raise EnvelopeError(f"invalid extension attribute names: {', '.join(sorted(bad))}")
    return CloudEvent(
        id=obj["id"],
        source=obj["source"],
        type=obj["type"],
        time=parse_time(obj["time"]),
        data=obj.get("data"),
        subject=obj.get("subject"),
        datacontenttype=obj.get("datacontenttype") or CONTENT_TYPE,
        dataschema=obj.get("dataschema"),
        extensions=extensions,
    )


def to_kafka(event: CloudEvent) -> tuple[bytes | None, bytes, Headers]:
    """Binary content mode: (key, value, headers)."""
    headers: Headers = [
        ("ce_specversion", SPECVERSION.encode()),
        ("ce_id", event.id.encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.type.encode()),
        ("ce_time", format_time(event.time).encode()),
        ("content-type", event.datacontenttype.encode()),
    ]
    if event.subject is not None:
        headers.append(("ce_subject", event.subject.encode()))
    if event.dataschema is not None:
        headers.append(("ce_dataschema", event.dataschema.encode()))
    headers.extend((f"ce_{name}", value.encode()) for name, value in event.extensions.items())
    value = dumps(event.data)
    key = event.subject.encode() if event.subject is not None else None
    return key, value, headers


def from_kafka(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]]
) -> CloudEvent:
    """Decode a binary-mode record; raise EnvelopeError for anything undecodable (a header
    without a value or not UTF-8, a value that is not strict JSON: services.common.json_limits)."""
    attrs: dict[str, str] = {}
    content_type = CONTENT_TYPE
    for name, raw in headers:
        if name != "content-type" and not name.startswith("ce_"):
            continue  # other headers (tracing, dead-letter history) are not ours to read
        if raw is None:
            raise EnvelopeError(f"header {name[:40]} has no value")
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            raise EnvelopeError(f"header {name[:40]} is not UTF-8") from None
        if name == "content-type":
            content_type = text
        else:
            attrs[name[3:]] = text
    if value is None:
        raise EnvelopeError("record has no value")
    if not content_type.startswith(CONTENT_TYPE):
        raise EnvelopeError("content-type is not application/json")
    try:
        data = parse_json(value)
    except JsonRefused as exc:
        raise EnvelopeError(f"value is {exc}") from None
    obj: dict[str, Any] = {**attrs, "data": data, "datacontenttype": content_type}
    event = from_structured(obj)
    if (
        key is not None
        and event.subject is not None
        and key.decode(errors="replace") != event.subject
    ):
        raise EnvelopeError("record key differs from ce_subject")
    return event
