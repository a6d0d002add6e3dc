"""The scenarios the bench parts share: each (seed, children, noise model) generated once per
process, so the quality and speed parts measure the very same events."""

from __future__ import annotations

from functools import lru_cache

from services.lab.scenario import Scenario, generate_scenario


@lru_cache(maxsize=4)
def scenario(seed: int, children: int, noise: str = "routes") -> Scenario:
    """The scenario for these parameters (generated on first use, deterministic by seed)."""
    return generate_scenario(seed, children=children, noise=noise)
