"""W3C Trace Context: read, start and continue a trace, and carry it through HTTP, CloudEvents
and logs, so that one sighting can be followed from intake to the investigator by its trace id.

Rules (https://www.w3.org/TR/trace-context/):
- `traceparent` is `version-traceid-parentid-flags` in lowercase hex. Version `ff` is invalid;
  version `00` is exactly 55 characters; a later version may append fields after a `-`, and
  its first four fields are read as version 00. All-zero trace or parent ids are invalid.
- An invalid or missing `traceparent` starts a new trace, and its `tracestate` is dropped.
- `tracestate` is forwarded unchanged when it is well-formed (at most 32 `key=value` members,
  at most 512 characters here); otherwise it is dropped, never repaired.
- Each unit of work (an HTTP request, one consumed event, one webhook delivery) is a new span
  in the caller's trace: same trace id and flags, new span id, the caller's span as parent.
  Events written during that work carry the work's span as their `traceparent` (the CloudEvents
  distributed-tracing extension), so the consumer's span is a child of the producer's.

Why hand-written rather than `opentelemetry-api`: Kinlink records no spans and runs no
collector; it only reads, mints and forwards two headers and logs the ids. The OpenTelemetry
API would bring a global context, a no-op tracer and propagator registries to do what the ~100
lines below do, and its propagator hides the parent span id we log. Should span export be
wanted, the OpenTelemetry SDK reads and writes exactly these headers, so nothing changes on
the wire.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

import structlog

from services.common.envelope import CloudEvent

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
MAX_TRACESTATE = 512
_FIELDS = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_STATE_KEY = r"(?:[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}|[a-z][a-z0-9_\-*/]{0,255})"
_STATE_VALUE = r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]"
_STATE_MEMBER = re.compile(rf"^{_STATE_KEY}={_STATE_VALUE}$")


@dataclass(frozen=True)
class TraceContext:
    """The current span of a trace: its ids, the parent span (if any) and the vendor state."""

    trace_id: str
    span_id: str
    flags: str = "01"
    parent_id: str | None = None
    tracestate: str | None = None

    @property
    def traceparent(self) -> str:
        """This span as a version-00 `traceparent` (what callees and events receive)."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceContext:
        """A new span in this trace whose parent is this span."""
        return replace(self, span_id=_span_id(), parent_id=self.span_id)

    def headers(self) -> dict[str, str]:
        """`traceparent` (and `tracestate`) for an outgoing request or event."""
        out = {TRACEPARENT: self.traceparent}
        if self.tracestate:
            out[TRACESTATE] = self.tracestate
        return out


def parse_traceparent(value: str | None, tracestate: str | None = None) -> TraceContext | None:
    """The remote span a `traceparent` names (its parent-id as `span_id`), or None if invalid."""
    if not value:
        return None
    value = value.strip()
    found = _FIELDS.match(value)
    if found is None:
        return None
    version, trace_id, parent_id, flags = found.groups()
    if version == "ff" or trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    if version == "00" and len(value) != 55:
        return None
    if len(value) > 55 and value[55] != "-":
        return None
    return TraceContext(trace_id, parent_id, flags, None, valid_tracestate(tracestate))


def valid_tracestate(value: str | None) -> str | None:
    """`value` if it is a well-formed `tracestate` we may forward, else None."""
    if not value or len(value) > MAX_TRACESTATE:
        return None
    members = [m.strip(" \t") for m in value.split(",")]
    members = [m for m in members if m]
    if not members or len(members) > 32:
        return None
    if not all(_STATE_MEMBER.match(m) for m in members):
        return None
    keys = [m.split("=", 1)[0] for m in members]
    if len(set(keys)) != len(keys):
        return None
    return ",".join(members)


def new_trace() -> TraceContext:
    """A root span of a new trace (sampled: its lines are in the logs)."""
    return TraceContext(secrets.token_hex(16), _span_id(), "01")


def continue_from(traceparent: str | None, tracestate: str | None = None) -> TraceContext:
    """The span of work done for a caller: a child of its span, or a new trace if it sent none
    (or an invalid one)."""
    remote = parse_traceparent(traceparent, tracestate)
    return remote.child() if remote is not None else new_trace()


def from_event(event: CloudEvent) -> TraceContext:
    """The span of consuming `event`: a child of the span that produced it."""
    return continue_from(event.extensions.get(TRACEPARENT), event.extensions.get(TRACESTATE))


def from_headers(headers: Mapping[str, str]) -> TraceContext:
    return continue_from(headers.get(TRACEPARENT), headers.get(TRACESTATE))


_CURRENT: ContextVar[TraceContext | None] = ContextVar("kinlink_trace", default=None)


def current() -> TraceContext | None:
    """The span of the work in hand (None outside any request, event or delivery)."""
    return _CURRENT.get()


@contextmanager
def activate(trace: TraceContext) -> Iterator[TraceContext]:
    """Make `trace` the current span; every log line inside carries its ids."""
    token = _CURRENT.set(trace)
    try:
        with structlog.contextvars.bound_contextvars(
            trace_id=trace.trace_id, span_id=trace.span_id, parent_span_id=trace.parent_id
        ):
            yield trace
    finally:
        _CURRENT.reset(token)


def stamp(event: CloudEvent) -> CloudEvent:
    """`event` with the current span as its `traceparent` (and the `tracestate`), unless it
    has one already or no span is current."""
    trace = current()
    if trace is None or TRACEPARENT in event.extensions:
        return event
    return replace(event, extensions={**event.extensions, **trace.headers()})


def _span_id() -> str:
    span = secrets.token_hex(8)
    while span == "0" * 16:  # all-zero ids are invalid; astronomically unlikely, still ruled out
        span = secrets.token_hex(8)
    return span
