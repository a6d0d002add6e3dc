"""The fault-free reference of a chaos run, computed offline: the scenario's events through the
matching engine (`kinlink match`), no services, no broker, no database.

The streaming correlator and the offline matcher drive the same engine, and the final set of
standing matches does not depend on arrival order, instance count or restarts (proved by
`tests/integration/correlator/test_correlator_group.py` and `test_arrival_orders.py`). So the
matches a live fault-free run would end with are exactly these, at the cost of one engine build
instead of a second run of the whole system. It runs in a process of its own, beside the live
run's start-up, so that its CPU-bound name analysis never stalls the harness's event loop.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from services.lab.chaos.checks import Pair


def expected_matches(seed: int, children: int) -> tuple[set[Pair], float]:
    """The standing matches of the scenario in scenario ids, and the seconds it took."""
    from services.correlator.domain.engine import MatchEngine
    from services.correlator.offline import final_state, run_match
    from services.correlator.tables import load_tables
    from services.lab.scenario import generate_scenario

    started = time.monotonic()
    scenario = generate_scenario(seed=seed, children=children)
    proposals = run_match(scenario.events, MatchEngine(load_tables()))
    pairs = {
        (str(data["alert_id"]), str(data["observation"]["type"]), str(data["observation"]["id"]))
        for data in final_state(proposals).values()
    }
    return pairs, time.monotonic() - started


async def offline_baseline(seed: int, children: int) -> tuple[set[Pair], float]:
    """`expected_matches` in a fresh process (spawned: the harness runs threads and a loop)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, expected_matches, seed, children)
