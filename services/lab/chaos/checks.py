"""The invariants, as pure functions of what a run left behind (no I/O).

- every request answered 2xx is in Kafka exactly once (one event, one record) and in intake's
  database;
- the final set of proposed matches equals the fault-free run's;
- every notification reaches every subscriber at least once (SSE for the organisation, the
  webhook for a subscription that has one), and one notification always has one id;
- nothing lands in the dead-letter topic (the run sends nothing malformed).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.common.catalog import (
    ALERT_RESOLVED,
    ALERTS,
    MATCH_WITHDRAWN,
    MATCHES,
    REGISTRATIONS,
    SIGHTINGS,
)
from services.lab.chaos.client import ClientLog
from services.lab.chaos.facts import IntakeRows, TopicFacts
from services.lab.chaos.receivers import Received

Pair = tuple[str, str, str]  # scenario ids: (alert, observation type, observation)


@dataclass
class EventCheck:
    accepted: int = 0
    lost_in_kafka: int = 0
    redelivered: int = 0  # one event id logged more than once
    extra_events: int = 0  # more distinct events than accepted requests for one record
    missing_in_db: int = 0
    dead_letters: int = 0

    @property
    def lost(self) -> int:
        return self.lost_in_kafka + self.missing_in_db + self.dead_letters

    @property
    def duplicated(self) -> int:
        return self.redelivered + self.extra_events


def check_events(log: ClientLog, facts: TopicFacts, rows: IntakeRows) -> EventCheck:
    result = EventCheck(accepted=len(log.accepted), dead_letters=facts.dead_letters)
    expected: Counter[tuple[str, str]] = Counter()
    for answer in log.accepted:
        record_id = str(answer.record_id)
        expected[(answer.request.event_type, record_id)] += 1
        if record_id not in rows.ids[answer.request.record_type] or (
            answer.request.event_type == ALERT_RESOLVED and record_id not in rows.resolved
        ):
            result.missing_in_db += 1
    logged: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for topic in (ALERTS, REGISTRATIONS, SIGHTINGS):
        for event in facts.events[topic]:
            logged[(event.event_type, str(event.key))][event.event_id] += 1
    for key, count in expected.items():
        ids = logged.get(key, Counter())
        result.lost_in_kafka += max(0, count - len(ids))
        result.extra_events += max(0, len(ids) - count)
        result.redelivered += sum(n - 1 for n in ids.values())
    return result


def final_matches(facts: TopicFacts, scenario_ids: Mapping[str, str]) -> set[Pair]:
    """Pairs whose latest revision is a proposal (not withdrawn), in scenario ids."""
    latest: dict[str, tuple[int, bool, Pair]] = {}
    for event in facts.events[MATCHES]:
        data = event.data
        revision = int(data["revision"])
        if event.key in latest and latest[str(event.key)][0] >= revision:
            continue
        observation = data["observation"]
        pair = (
            scenario_ids.get(str(data["alert_id"]), str(data["alert_id"])),
            str(observation["type"]),
            scenario_ids.get(str(observation["id"]), str(observation["id"])),
        )
        latest[str(event.key)] = (revision, event.event_type != MATCH_WITHDRAWN, pair)
    return {pair for _, standing, pair in latest.values() if standing}


@dataclass
class NotificationCheck:
    listed: int = 0
    lost_sse: int = 0
    lost_webhook: int = 0
    unnotified_matches: int = 0  # a standing match some subscription never heard of
    inconsistent_ids: int = 0  # one notification seen under two ids
    sse_deliveries: int = 0
    webhook_deliveries: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.lost_sse + self.lost_webhook + self.unnotified_matches


@dataclass(frozen=True)
class Subscriber:
    """One organisation: its notifications as listed, what its SSE client got, and per
    webhook subscription what its receiver got."""

    listed: list[dict[str, Any]]
    sse: list[Received]
    webhooks: Mapping[str, list[Received]]  # subscription id -> deliveries


def check_notifications(
    subscribers: Iterable[Subscriber], standing_match_ids: set[str]
) -> NotificationCheck:
    result = NotificationCheck()
    for sub in subscribers:
        result.listed += len(sub.listed)
        result.sse_deliveries += len(sub.sse)
        seen_sse = {r.delivered_id for r in sub.sse}
        ids_by_identity: dict[tuple[Any, ...], set[str]] = defaultdict(set)
        for item in sub.listed:
            nid = str(item["id"])
            ids_by_identity[_identity(item)].add(nid)
            if nid not in seen_sse:
                result.lost_sse += 1
                result.missing.append(f"sse {nid}")
        for subscription_id, deliveries in sub.webhooks.items():
            result.webhook_deliveries += len(deliveries)
            got = {r.delivered_id for r in deliveries}
            for item in sub.listed:
                if item.get("subscription_id") == subscription_id and str(item["id"]) not in got:
                    result.lost_webhook += 1
                    result.missing.append(f"webhook {item['id']}")
            told = {str(i["match"]["match_id"]) for i in sub.listed
                    if i.get("subscription_id") == subscription_id}  # fmt: skip
            result.unnotified_matches += len(standing_match_ids - told)
        for r in [*sub.sse, *(d for ds in sub.webhooks.values() for d in ds)]:
            ids_by_identity[r.identity].add(r.delivered_id)
            if r.delivered_id != r.body_id:
                result.inconsistent_ids += 1
        result.inconsistent_ids += sum(len(ids) - 1 for ids in ids_by_identity.values())
    return result


def _identity(item: Mapping[str, Any]) -> tuple[Any, ...]:
    match = item["match"]
    return (item.get("subscription_id"), str(match["match_id"]), int(match["revision"]),
            str(item["kind"]))  # fmt: skip


def standing_match_ids(facts: TopicFacts) -> set[str]:
    latest: dict[str, tuple[int, bool]] = {}
    for event in facts.events[MATCHES]:
        revision = int(event.data["revision"])
        if str(event.key) not in latest or latest[str(event.key)][0] < revision:
            latest[str(event.key)] = (revision, event.event_type != MATCH_WITHDRAWN)
    return {key for key, (_, standing) in latest.items() if standing}
