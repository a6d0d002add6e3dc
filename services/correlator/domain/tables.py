"""The tables a match engine is built with: fitted weights and name-token frequencies (the
bundled prior table, smoothed with the token counts learned with the weights).

The domain never reads files: whoever builds an engine hands it an `EngineTables`, made from
the shipped files by `services.correlator.tables.load_tables` or from values in tests and the
lab. Everything derived from the tables is computed here, once per engine.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from services.correlator.domain.index import Blocker, common_skeletons
from services.correlator.domain.name_frequency import NameFrequencies, pooled_by_key
from services.correlator.domain.scoring import Weights


@dataclass(frozen=True)
class EngineTables:
    """`name_words`: counts per 100 000 name tokens by folded word (the frequency table)."""

    weights: Weights
    name_words: Counter[str]
    frequencies: NameFrequencies = field(init=False, repr=False, compare=False)
    blocker: Blocker = field(init=False, repr=False, compare=False)
    routes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "frequencies",
            NameFrequencies(pooled_by_key(self.name_words), self.weights.token_counts),
        )
        object.__setattr__(self, "blocker", Blocker(common_skeletons(self.name_words)))
        object.__setattr__(self, "routes", frozenset(self.weights.routes))

    def with_weights(self, weights: Weights) -> EngineTables:
        """The same name tables with other weights (fitting, evaluation of a refit)."""
        return EngineTables(weights, self.name_words)
