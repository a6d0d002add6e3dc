"""Prometheus metrics shared by the common Kafka and outbox machinery."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter(
    "kinlink_events_consumed_total", "Events applied by a consumer group", ["group", "type"]
)
DEAD_LETTERED = Counter(
    "kinlink_events_dead_lettered_total",
    "Records sent to the dead-letter topic",
    ["group", "reason"],
)
PROCESSING_SECONDS = Histogram(
    "kinlink_event_processing_seconds", "Time to decode, validate and apply one record", ["group"]
)
OUTBOX_PUBLISHED = Counter(
    "kinlink_outbox_published_total", "Outbox rows published to Kafka", ["schema"]
)
OUTBOX_BACKLOG = Gauge("kinlink_outbox_backlog", "Outbox rows not yet published", ["schema"])
OUTBOX_LAG_SECONDS = Gauge(
    "kinlink_outbox_relay_lag_seconds", "Age of the oldest unpublished outbox row", ["schema"]
)
