"""The CI stage of the chaos harness (`make chaos` in small): a scenario through intake, a
three-node Kafka cluster (replication factor 3, min.insync.replicas 2), two correlators in one
group and the notifier with SSE and webhook subscribers, while every kind of fault is injected:
SIGKILL of intake, the notifier and one of the two correlators, one broker killed, the whole
cluster killed, PostgreSQL restarted, a slow and a failing webhook receiver, SSE connections
dropped. The fault-free reference is computed offline (`kinlink match` on the same scenario).

It starts its own cluster and database on ports 28500-28540, never the run's shared stack.
"""

from __future__ import annotations

import os

import pytest

from services.lab.chaos.faults import FAULT_KINDS, FaultPlan
from services.lab.chaos.report import LOSS_COLUMNS, render, summary
from services.lab.chaos.run import ChaosConfig, experiment

# Minutes on a busy 2-core machine: each correlator start builds its name tagger (so only one
# of the two is killed here; `make chaos` kills both).
pytestmark = [pytest.mark.chaos, pytest.mark.timeout(1500)]

BASE_PORT = int(os.environ.get("KINLINK_TEST_CHAOS_PORT", "28500"))


async def test_nothing_accepted_is_lost_under_faults() -> None:
    cfg = ChaosConfig(
        seed=11,
        children=5,
        brokers=3,
        base_port=BASE_PORT,
        rate=3.0,
        plan=FaultPlan(service_kills=1, spared=("correlator-1",), broker_outages=1,
                       single_broker_kills=1, postgres_restarts=1, webhook_windows=1,
                       sse_drops=2),  # fmt: skip
        settle_timeout=300.0,
    )
    calm, chaos = await experiment(cfg)
    table = render(calm, chaos)
    numbers = summary(calm, chaos)

    assert set(chaos.injected) == set(FAULT_KINDS), table
    assert chaos.injected["kill"] == 3, table  # intake, the notifier, one of two correlators
    assert numbers["accepted"] == len(chaos.log.answers), table  # every request answered 2xx
    assert calm.matches, table  # the scenario produces matches to compare
    assert chaos.notifications.listed > 0 and chaos.notifications.webhook_deliveries > 0, table
    assert {column: numbers[column] for column in LOSS_COLUMNS} == dict.fromkeys(
        LOSS_COLUMNS, 0
    ), table
    # Every notification on the SSE streams too, also those of a stream open while PostgreSQL
    # restarted (it used to stay silent: tests/integration/notifier/test_stream_database_restart).
    assert chaos.notifications.lost_sse == 0, table
