"""Prometheus metrics shared by the common Kafka, outbox and HTTP machinery.

Names follow one scheme: `kinlink_` prefix, the unit in the name (`_seconds`, `_records`),
counters end in `_total`. Label values are bounded: event types outside the catalog are
counted as `other`, routes are templates (services.common.http_server), never raw paths.
Each service's own metrics live beside it (correlator: proposals by score band; notifier:
deliveries by channel) and are exposed on the same /metrics.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.common.catalog import EVENT_TYPES

UNKNOWN_TYPE = "unknown"

CONSUMED = Counter(
    "kinlink_events_consumed_total",
    "Events applied by a consumer group (redeliveries dropped by the inbox included)",
    ["group", "type"],
)
DEAD_LETTERED = Counter(
    "kinlink_events_dead_lettered_total",
    "Records sent to the dead-letter topic, by event type (`unknown` if unreadable) and reason",
    ["group", "type", "reason"],
)
PROCESSING_SECONDS = Histogram(
    "kinlink_event_processing_seconds", "Time to decode, validate and apply one record", ["group"]
)
CONSUMER_LAG = Gauge(
    "kinlink_consumer_lag_records",
    "Records on a partition not yet committed by the group: high watermark minus committed"
    " offset, refreshed periodically by each member for the partitions it holds",
    ["group", "topic", "partition"],
)
OUTBOX_PUBLISHED = Counter(
    "kinlink_outbox_published_total", "Outbox rows published to Kafka", ["schema"]
)
OUTBOX_BACKLOG = Gauge("kinlink_outbox_backlog", "Outbox rows not yet published", ["schema"])
OUTBOX_LAG_SECONDS = Gauge(
    "kinlink_outbox_relay_lag_seconds", "Age of the oldest unpublished outbox row", ["schema"]
)


def metric_type(ce_type: str | None) -> str:
    """A bounded label for an event type: catalog types as they are, anything else `other`."""
    if ce_type is None or ce_type == UNKNOWN_TYPE:
        return UNKNOWN_TYPE
    return ce_type if ce_type in EVENT_TYPES else "other"
