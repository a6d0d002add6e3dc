"""A small generated scenario shared by the tests (generation is deterministic)."""

from __future__ import annotations

import pytest

from services.lab.scenario import Scenario, generate_scenario


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    return generate_scenario(7, children=200)
