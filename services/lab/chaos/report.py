"""The chaos run's verdict: a table for people, and as the last line the same as one JSON object
for machines (CI, dashboards)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from services.lab.chaos.run import RunResult

LOSS_COLUMNS = ("lost", "duplicated", "matches_missing", "matches_extra", "notifications_lost")


def summary(calm: RunResult, chaos: RunResult) -> dict[str, int]:
    return {
        "faults": sum(chaos.injected.values()),
        "accepted": chaos.events.accepted,
        "lost": chaos.events.lost,
        "duplicated": chaos.events.duplicated + chaos.notifications.inconsistent_ids,
        "matches_missing": len(calm.matches - chaos.matches),
        "matches_extra": len(chaos.matches - calm.matches),
        "notifications_lost": chaos.notifications.lost,
    }


def failed(numbers: dict[str, int]) -> bool:
    return any(numbers[column] for column in LOSS_COLUMNS)


def render(calm: RunResult, chaos: RunResult) -> str:
    """The table; the reference column is the live fault-free run's, or for an offline
    reference its matches and time only ("-" where it sent nothing)."""
    numbers = summary(calm, chaos)
    e, n = chaos.events, chaos.notifications
    rows: list[tuple[str, Any, Any]] = [
        ("faults injected", 0, numbers["faults"]),
        *((f"  {kind}", 0, count) for kind, count in sorted(chaos.injected.items())),
        ("  services that crashed on their own", len(calm.unexpected_exits),
         len(chaos.unexpected_exits)),
        ("requests accepted (2xx)", calm.events.accepted, e.accepted),
        ("  retried by the client (same key)", calm.log.retried, chaos.log.retried),
        ("  never answered (client gave up)",
         sum(a.status is None for a in calm.log.answers),
         sum(a.status is None for a in chaos.log.answers)),
        ("events lost", calm.events.lost, e.lost),
        ("  missing in Kafka", calm.events.lost_in_kafka, e.lost_in_kafka),
        ("  missing in intake's database", calm.events.missing_in_db, e.missing_in_db),
        ("  dead-lettered", calm.events.dead_letters, e.dead_letters),
        ("events duplicated", calm.events.duplicated, e.duplicated),
        ("  same event id logged twice", calm.events.redelivered, e.redelivered),
        ("  a second event for one request", calm.events.extra_events, e.extra_events),
        ("standing matches", len(calm.matches), len(chaos.matches)),
        ("matches missing", "-", numbers["matches_missing"]),
        ("matches extra", "-", numbers["matches_extra"]),
        ("notifications listed", calm.notifications.listed, n.listed),
        ("  delivered by SSE / webhook", f"{calm.notifications.sse_deliveries} / "
         f"{calm.notifications.webhook_deliveries}", f"{n.sse_deliveries} / "
         f"{n.webhook_deliveries}"),
        ("  SSE reconnections (Last-Event-ID)", calm.sse_reconnects, chaos.sse_reconnects),
        ("notifications lost", calm.notifications.lost, n.lost),
        ("  not on the SSE stream", calm.notifications.lost_sse, n.lost_sse),
        ("  not at the webhook", calm.notifications.lost_webhook, n.lost_webhook),
        ("  standing match never notified", calm.notifications.unnotified_matches,
         n.unnotified_matches),
        ("one notification, two ids", calm.notifications.inconsistent_ids, n.inconsistent_ids),
        ("run time (s)", round(calm.seconds), round(chaos.seconds)),
    ]
    if not calm.live:
        kept = {"standing matches", "run time (s)"}
        rows = [(label, a if label.strip() in kept or not i else "-", b)
                for i, (label, a, b) in enumerate(rows)]  # fmt: skip
    reference = "fault-free" if calm.live else "offline"
    lines = [f"{'':<40} {reference:>12} {'with faults':>12}"]
    lines += [f"{label:<40} {str(a):>12} {str(b):>12}" for label, a, b in rows]
    if chaos.sse_errors:
        lines.append(f"SSE connections ended by: {dict(Counter(chaos.sse_errors))}")
    lines.append(json.dumps(numbers, separators=(", ", ": ")))
    return "\n".join(lines)
