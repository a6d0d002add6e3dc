"""Consumer lag for Prometheus, and what the consumer runner reads from a record's headers
before it can decode it (its type for metrics, its trace for logs).

Lag is per partition a member holds: the high watermark minus the group's committed offset.
The group reads committed records only, so the high watermark is the last stable offset. The
runner refreshes it every `interval` seconds in a task of its own; a revoked partition's series
is removed, as its new owner reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from services.common.logging import get_logger
from services.common.metrics import CONSUMER_LAG, UNKNOWN_TYPE, metric_type
from services.common.tracing import TraceContext, continue_from

log = get_logger(__name__)


class ConsumerLag:
    """The lag gauges of one consumer group member."""

    def __init__(self, consumer: Any, group_id: str, interval: float) -> None:
        self._consumer = consumer
        self._group_id = group_id
        self._interval = interval
        self._due = 0.0
        self._committed: dict[TopicPartition, int] = {}

    def committed(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Offsets this member has just committed (saves asking the coordinator)."""
        self._committed.update(offsets)

    def forget(self, revoked: Iterable[TopicPartition]) -> None:
        """Partitions now held by another member: their lag is that member's to report."""
        for tp in revoked:
            self._committed.pop(tp, None)
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self._group_id, tp.topic, str(tp.partition))

    async def run(self, stopping: asyncio.Event) -> None:
        """Refresh every `interval` seconds until `stopping` is set. A task of its own beside
        the consumer loop: offset look-ups wait on the group coordinator, which must never hold
        up the records."""
        while not stopping.is_set():
            try:
                async with asyncio.timeout(max(self._interval, 5.0)):
                    await self.refresh()
            except (KafkaError, OSError, TimeoutError) as exc:
                # Lag is for dashboards: a broker hiccup is reported and tried again later.
                log.warning("consumer lag not refreshed", group=self._group_id,
                            error=type(exc).__name__)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._interval)

    async def refresh(self) -> bool:
        """Set the gauge of every partition held; False while none is assigned yet."""
        assigned = sorted(self._consumer.assignment())
        if not assigned:
            return False
        ends = await self._consumer.end_offsets(assigned)
        for tp in assigned:
            committed = self._committed.get(tp)
            if committed is None:  # taken over from another member, or never committed
                committed = await self._consumer.committed(tp)
                if committed is None:  # the group starts from the earliest record
                    committed = (await self._consumer.beginning_offsets([tp]))[tp]
                self._committed[tp] = committed
            lag = max(0, ends[tp] - committed)
            CONSUMER_LAG.labels(self._group_id, tp.topic, str(tp.partition)).set(lag)
        return True


def _header(headers: Iterable[tuple[str, bytes | None]], name: str) -> str | None:
    for key, raw in headers:
        if key == name and raw is not None:
            return raw.decode(errors="replace")
    return None


def record_type(headers: Iterable[tuple[str, bytes]]) -> str:
    """The record's `ce_type` as a bounded metric label, even when the record is undecodable."""
    return metric_type(_header(headers, "ce_type") or UNKNOWN_TYPE)


def trace_of_record(headers: Sequence[tuple[str, bytes]]) -> TraceContext:
    """The span of handling a record: a child of its `ce_traceparent`, or a new trace."""
    return continue_from(_header(headers, "ce_traceparent"), _header(headers, "ce_tracestate"))
