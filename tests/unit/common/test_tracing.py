"""W3C Trace Context: which `traceparent`/`tracestate` values are taken, how a unit of work
continues its caller's trace, and how the trace rides on events from intake to the correlator's
proposal, so that `grep <trace-id>` follows one sighting through every service."""

from __future__ import annotations

import re

import pytest
import structlog

from services.common.catalog import MATCH_PROPOSED, SIGHTING_REPORTED
from services.common.consumer_lag import trace_of_record
from services.common.envelope import from_kafka, new_event, to_kafka
from services.common.tracing import (
    TraceContext,
    activate,
    continue_from,
    current,
    new_trace,
    parse_traceparent,
    stamp,
    valid_tracestate,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
HEADER = f"00-{TRACE}-{SPAN}-01"
W3C = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def test_a_valid_traceparent_names_the_callers_trace_span_and_flags() -> None:
    parsed = parse_traceparent(HEADER)
    assert parsed == TraceContext(TRACE, SPAN, "01", None, None)
    assert parse_traceparent(f"00-{TRACE}-{SPAN}-00").flags == "00"  # type: ignore[union-attr]
    assert parse_traceparent(f"  {HEADER} ") is not None  # optional whitespace around a header


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        HEADER.upper(),  # hex must be lowercase
        f"ff-{TRACE}-{SPAN}-01",  # version ff is forbidden
        f"00-{'0' * 32}-{SPAN}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"00-{TRACE}-{SPAN}-01-extra",  # version 00 is exactly 55 characters
        f"00-{TRACE[:-1]}-{SPAN}-01",
        f"00-{TRACE}-{SPAN}-1",
        f"01-{TRACE}-{SPAN}-01extra",  # a later version's extra fields follow a dash
        f"00_{TRACE}_{SPAN}_01",
    ],
)
def test_an_invalid_traceparent_is_refused(value: str | None) -> None:
    assert parse_traceparent(value) is None


def test_a_later_version_is_read_by_its_first_four_fields_and_forwarded_as_version_00() -> None:
    parsed = parse_traceparent(f"cc-{TRACE}-{SPAN}-01-what-the-future-holds")
    assert parsed is not None
    assert parsed.child().traceparent.startswith(f"00-{TRACE}-")


def test_work_for_a_caller_is_a_child_span_of_its_trace() -> None:
    work = continue_from(HEADER, "congo=t61rcWkgMzE")
    assert (work.trace_id, work.parent_id, work.flags) == (TRACE, SPAN, "01")
    assert work.span_id != SPAN and W3C.match(work.traceparent)
    assert work.tracestate == "congo=t61rcWkgMzE"
    assert work.headers() == {"traceparent": work.traceparent, "tracestate": "congo=t61rcWkgMzE"}


def test_no_or_a_bad_traceparent_starts_a_new_trace_and_drops_its_tracestate() -> None:
    for given in (None, "00-nonsense"):
        work = continue_from(given, "congo=t61rcWkgMzE")
        assert W3C.match(work.traceparent) and work.parent_id is None
        assert work.tracestate is None
        assert work.headers() == {"traceparent": work.traceparent}
    assert new_trace().trace_id != new_trace().trace_id


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        ("rojo=1 , congo=2", "rojo=1,congo=2"),
        ("tenant@vendor=opaque", "tenant@vendor=opaque"),
        ("rojo=1,,congo=2", "rojo=1,congo=2"),  # empty members are allowed and dropped
        ("Rojo=1", None),  # keys are lowercase
        ("rojo", None),
        ("rojo=1,rojo=2", None),  # a key appears once
        (",".join(f"k{i}=v" for i in range(33)), None),  # at most 32 members
        ("k=" + "v" * 600, None),
        ("k=a=b\x00", None),
        ("", None),
    ],
)
def test_tracestate_is_forwarded_only_when_well_formed(value: str, kept: str | None) -> None:
    assert valid_tracestate(value) == kept


def test_the_current_span_is_bound_to_every_log_line_and_released_after() -> None:
    work = continue_from(HEADER)
    assert current() is None
    with activate(work):
        assert current() == work
        bound = structlog.contextvars.get_contextvars()
        assert bound["trace_id"] == TRACE
        assert (bound["span_id"], bound["parent_span_id"]) == (work.span_id, SPAN)
    assert current() is None
    assert "trace_id" not in structlog.contextvars.get_contextvars()


def test_an_event_carries_the_current_span_unless_it_names_its_own() -> None:
    event = new_event(SIGHTING_REPORTED, "/intake/fr-hotline", "s-1", {})
    assert stamp(event) is event  # outside any span: nothing to carry
    with activate(continue_from(HEADER, "congo=1")) as work:
        stamped = stamp(event)
        assert stamped.extensions == {"traceparent": work.traceparent, "tracestate": "congo=1"}
        assert stamp(stamped) is stamped


def test_a_proposal_continues_the_trace_of_the_observation_that_caused_it() -> None:
    """intake request -> sighting.reported -> (Kafka) -> correlator -> match.proposed."""
    with activate(continue_from(HEADER)) as request:
        sighting = stamp(new_event(SIGHTING_REPORTED, "/intake/fr-hotline", "s-1", {"a": 1}))
    key, value, headers = to_kafka(sighting)
    assert from_kafka(key, value, headers).extensions["traceparent"] == request.traceparent

    with activate(trace_of_record(headers)) as consuming:
        proposal = stamp(new_event(MATCH_PROPOSED, "/kinlink/correlator", "m-1", {}))
    parsed = parse_traceparent(proposal.extensions["traceparent"])
    assert parsed is not None
    assert parsed.trace_id == TRACE  # the caller's trace, end to end
    assert parsed.span_id == consuming.span_id != request.span_id  # a new span ...
    assert consuming.parent_id == request.span_id  # ... whose parent is the sighting's span


def test_a_record_without_trace_headers_starts_a_trace_of_its_own() -> None:
    work = trace_of_record([("ce_type", SIGHTING_REPORTED.encode())])
    assert work.parent_id is None and W3C.match(work.traceparent)
