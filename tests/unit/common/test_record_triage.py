"""Property tests of what a consumer does with any record (services.common.triage) and of the
dead letter it writes (services.common.dead_letters): garbage of every kind is set aside with a
reason that names the rule and never the data, valid events are applied, and no record, however
large or malformed, makes either raise."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.catalog import EVENT_TYPES, SIGHTING_REPORTED
from services.common.dead_letters import LETTER_MAX_BYTES, dead_letter, header
from services.common.envelope import from_kafka
from services.common.schema_registry import SchemaRegistry
from services.common.triage import Apply, Refuse, triage
from tests.garbage_records import BREAKAGES, MARKER, Record, broken_records, valid_record

# Every type a consumer may meet on the topics.
CONSUMED = sorted(EVENT_TYPES)
REGISTRY = SchemaRegistry.load()
FUZZ = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("ce_type", CONSUMED)
def test_a_valid_event_of_every_consumed_type_is_applied(ce_type: str) -> None:
    key, value, headers = valid_record(ce_type)
    verdict = triage(key, value, headers, REGISTRY)
    assert verdict == Apply(from_kafka(key, value, headers))  # type: ignore[arg-type]


@FUZZ
@given(broken_records(CONSUMED))
def test_any_broken_record_is_set_aside_with_a_reason_naming_no_data(
    case: tuple[str, Record],
) -> None:
    kind, (key, value, headers) = case
    verdict = triage(key, value, headers, REGISTRY)
    assert isinstance(verdict, Refuse), kind
    assert verdict.error_class in BREAKAGES[kind][1], (kind, verdict)
    assert verdict.reason.strip()
    assert MARKER not in verdict.reason


@FUZZ
@given(
    key=st.none() | st.binary(max_size=50),
    value=st.none() | st.binary(max_size=2000),
    headers=st.none()
    | st.lists(st.tuples(st.text(max_size=30), st.none() | st.binary(max_size=60)), max_size=8),
)
def test_no_record_at_all_makes_triage_raise(
    key: bytes | None, value: bytes | None, headers: Any
) -> None:
    verdict = triage(key, value, headers, REGISTRY)
    assert isinstance(verdict, Apply | Refuse)


def _record(key: bytes | None, value: bytes | None, headers: Any) -> Any:
    return SimpleNamespace(
        topic="kinlink.sightings", partition=2, offset=41, key=key, value=value, headers=headers
    )


@FUZZ
@given(broken_records(CONSUMED))
def test_a_dead_letter_keeps_the_record_and_always_fits_one_request(
    case: tuple[str, Record],
) -> None:
    _, (key, value, headers) = case
    verdict = triage(key, value, headers, REGISTRY)
    assert isinstance(verdict, Refuse)
    letter = dead_letter(
        _record(key, value, headers),
        reason=verdict.reason,
        error_class=verdict.error_class,
        consumer="kinlink-correlator",
    )
    size = len(letter.key or b"") + len(letter.value or b"")
    size += sum(len(n.encode()) + len(v or b"") for n, v in letter.headers)
    assert size <= LETTER_MAX_BYTES
    assert header(letter.headers, "dlq_error_class") == verdict.error_class
    assert header(letter.headers, "dlq_original_offset") == "41"
    if header(letter.headers, "dlq_value_omitted") is None:
        assert letter.value == value  # byte for byte


def test_a_record_too_big_to_dead_letter_whole_loses_its_value_and_says_so() -> None:
    key, value, headers = valid_record(SIGHTING_REPORTED)
    huge = b"x" * 1_000_000
    letter = dead_letter(
        _record(key, huge, [*headers, ("x_big", b"y" * 950_000)]),
        reason="oversized",
        error_class="oversized",
        consumer="c",
    )
    assert letter.value is None
    assert header(letter.headers, "dlq_value_omitted") == "1000000 bytes"
    assert header(letter.headers, "dlq_headers_omitted") is not None
    assert header(letter.headers, "dlq_reason") == "oversized"
    assert letter.key == key
    assert value is not None
