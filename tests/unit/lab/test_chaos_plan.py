"""The chaos plan and its report: a spared instance is never killed while every fault kind is
still planned; an offline reference shows only what it has (matches), never invented zeros."""

from __future__ import annotations

import json

from services.lab.chaos import checks
from services.lab.chaos.client import ClientLog
from services.lab.chaos.faults import FAULT_KINDS, FaultPlan, schedule
from services.lab.chaos.report import render
from services.lab.chaos.run import RunResult, offline_result

INSTANCES = ["intake", "correlator-1", "correlator-2", "notifier"]
PAIR = ("alert-1", "sighting", "sighting-1")


def test_a_spared_instance_is_never_killed_and_every_fault_kind_is_still_planned() -> None:
    plan = FaultPlan(service_kills=2, spared=("correlator-1",))
    for seed in range(5):
        faults = schedule(plan, seed, brokers=3, services=INSTANCES)
        kills = [f.target for f in faults if f.kind == "kill"]
        assert sorted(kills) == sorted(["intake", "correlator-2", "notifier"] * 2)
        assert {f.kind for f in faults} == set(FAULT_KINDS)


def test_the_offline_reference_column_shows_its_matches_and_no_invented_counts() -> None:
    reference = offline_result({PAIR}, 12.0)
    chaos = RunResult("chaos", ClientLog(), checks.EventCheck(), {PAIR},
                      checks.NotificationCheck(), {"kill": 3}, [], [], 300.0)  # fmt: skip
    table = render(reference, chaos).splitlines()
    rows = {line[:40].strip(): line[40:].split() for line in table[1:-1] if line[:40].strip()}
    assert table[0].split() == ["offline", "with", "faults"]
    assert rows["standing matches"] == ["1", "1"]
    assert rows["requests accepted (2xx)"] == ["-", "0"]
    assert rows["notifications lost"] == ["-", "0"]
    assert json.loads(table[-1])["matches_missing"] == 0
