"""The notifier's Prometheus metrics: notifications delivered and failed by channel (`sse`,
`webhook`), open SSE streams and webhook request latency.

An SSE notification is delivered when its frame is written to an open stream and failed when
the client is gone mid-write (it resumes with Last-Event-ID, so failed is not lost). A webhook
notification is delivered on a 2xx answer; every other attempt counts as failed (and is retried).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CHANNELS = ("sse", "webhook")

NOTIFICATIONS_DELIVERED = Counter(
    "kinlink_notifications_delivered_total", "Notifications delivered, by channel", ["channel"]
)
NOTIFICATIONS_FAILED = Counter(
    "kinlink_notifications_failed_total",
    "Notification delivery attempts that failed, by channel",
    ["channel"],
)
SSE_STREAMS = Gauge("kinlink_sse_streams_open", "Server-Sent Events streams open now")
WEBHOOK_SECONDS = Histogram(
    "kinlink_webhook_request_seconds",
    "Time for a webhook receiver to answer (or fail)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
for _channel in CHANNELS:  # both series exist from the start, so rate() sees the first one
    NOTIFICATIONS_DELIVERED.labels(_channel)
    NOTIFICATIONS_FAILED.labels(_channel)
