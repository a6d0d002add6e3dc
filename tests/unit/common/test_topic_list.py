"""The topic list's promises about erasure (README "Data protection"): registrations and
sightings are compacted with a bounded lag, so an erasure event removes the record's personal
data from Kafka within 7 days; alerts are not compacted and keep theirs for retention plus one
segment; creation and reconciliation apply exactly the configs the list names."""

from __future__ import annotations

from datetime import timedelta

from services.common.catalog import (
    ALERTS,
    EVENT_TYPES,
    REGISTRATION_ERASED,
    REGISTRATION_RECORDED,
    REGISTRATIONS,
    SIGHTING_ERASED,
    SIGHTING_REPORTED,
    SIGHTINGS,
    topic_for_type,
)
from services.common.topic_configs import merged_overrides
from services.common.topics import TopicSpec, load_topic_specs
from services.intake.retention.policy import RetentionPolicy

DAY_MS = 86_400_000
ERASURE_BOUND = timedelta(days=7)


def _specs() -> dict[str, TopicSpec]:
    return {spec.name: spec for spec in load_topic_specs()}


def _types_on(topic: str) -> set[str]:
    return {ce_type for ce_type in EVENT_TYPES if topic_for_type(ce_type) == topic}


def test_compaction_is_safe_only_where_a_key_carries_one_record_event_and_its_erasure() -> None:
    # Compaction keeps the latest event of a key: sound only while the record's event can be
    # superseded by nothing but its erasure. A new event type on these topics must revisit it.
    assert _types_on(REGISTRATIONS) == {REGISTRATION_RECORDED, REGISTRATION_ERASED}
    assert _types_on(SIGHTINGS) == {SIGHTING_REPORTED, SIGHTING_ERASED}
    assert len(_types_on(ALERTS)) > 2  # published, updated, resolved, ...: never compacted


def test_registrations_and_sightings_drop_erased_data_within_seven_days() -> None:
    specs = _specs()
    for name in (REGISTRATIONS, SIGHTINGS):
        spec = specs[name]
        assert spec.cleanup_policy == "compact,delete"
        assert spec.max_compaction_lag_ms is not None and spec.segment_ms is not None
        assert spec.min_compaction_lag_ms == 0
        # The segment holding an erasure closes well before the cleaner must compact it.
        assert spec.segment_ms <= DAY_MS < spec.max_compaction_lag_ms
        assert timedelta(milliseconds=spec.erasure_bound_ms()) <= ERASURE_BOUND
        configs = spec.configs()
        assert configs["cleanup.policy"] == "compact,delete"
        assert configs["max.compaction.lag.ms"] == str(spec.max_compaction_lag_ms)
        assert configs["segment.ms"] == str(spec.segment_ms)
        assert configs["min.compaction.lag.ms"] == "0"


def test_the_delete_half_stays_the_outer_bound() -> None:
    specs = _specs()
    assert specs[REGISTRATIONS].retention_ms == 1827 * DAY_MS  # 5 years
    assert specs[SIGHTINGS].retention_ms == 366 * DAY_MS  # 1 year
    for spec in specs.values():
        if spec.compacted:
            assert "delete" in spec.cleanup_policy.split(","), spec.name
            assert spec.max_compaction_lag_ms is not None, spec.name


def test_alerts_are_not_compacted_and_keep_their_data_for_retention_plus_one_segment() -> None:
    alerts = _specs()[ALERTS]
    assert alerts.cleanup_policy == "delete"
    assert alerts.segment_ms == 7 * DAY_MS
    assert alerts.erasure_bound_ms() == alerts.retention_ms + 7 * DAY_MS
    # Long enough for a replay to see every alert still inside its longest review period.
    longest_review = max(RetentionPolicy().review_days.values())
    assert alerts.retention_ms >= longest_review * DAY_MS


def test_an_unset_bound_is_left_to_the_broker() -> None:
    spec = TopicSpec("t", 1, 1, 1000, "delete")
    assert spec.configs() == {"retention.ms": "1000", "cleanup.policy": "delete"}
    assert spec.erasure_bound_ms() == 1000 + 7 * DAY_MS


def test_reconciliation_keeps_hand_made_overrides_and_writes_only_on_a_difference() -> None:
    wanted = {"cleanup.policy": "compact,delete", "max.compaction.lag.ms": "604800000"}
    current = {"cleanup.policy": "delete", "min.insync.replicas": "2"}
    assert merged_overrides(current, wanted) == {
        "cleanup.policy": "compact,delete",
        "max.compaction.lag.ms": "604800000",
        "min.insync.replicas": "2",
    }
    assert merged_overrides({**current, **wanted}, wanted) is None
