"""Name-token frequencies for term-frequency adjustment of name agreement.

A bundled table of approximate counts (domain knowledge, not data) seeds the estimate; the
engine adds every name token it sees in alerts and observations, so rarity follows the
population actually being matched.  Agreement on a token of frequency f is worth
log2(u_avg / f) bits on top of the comparison level's weight (Fellegi-Sunter TF adjustment).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from services.correlator.domain.names import split_tokens, token_key

DATA_FILE = Path(__file__).with_name("data") / "name_frequencies.tsv"
_TABLE_TOTAL = 100_000.0
_PRIOR_WEIGHT = 10_000.0
# Unknown tokens are assumed about as rare as the rarest bundled names.
_UNSEEN_COUNT = 0.5
_MIN_BITS, _MAX_BITS = -4.0, 8.0


def load_prior_words(path: Path) -> Counter[str]:
    """The bundled table as folded single tokens and their counts per 100 000 tokens."""
    counts: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, count = line.partition("\t")
        tokens = split_tokens(word)
        if len(tokens) == 1 and count.strip():
            counts[tokens[0]] += int(count)
    return counts


def load_prior(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word, count in load_prior_words(path).items():
        counts[token_key(word)] += count
    return counts


class NameFrequencies:
    """Token-key frequencies: the bundled prior plus counts of tokens seen while matching."""

    __slots__ = ("_counts", "_total", "_u_avg")

    def __init__(self, prior: Counter[str] | None = None) -> None:
        raw = prior if prior is not None else load_prior(DATA_FILE)
        # Table counts are per 100 000 tokens (the long tail is the remainder); the prior then
        # weighs as _PRIOR_WEIGHT tokens, so the population being matched soon dominates.
        self._counts: Counter[str] = Counter(
            {k: v * _PRIOR_WEIGHT / _TABLE_TOTAL for k, v in raw.items()}
        )
        self._total = _PRIOR_WEIGHT
        # Chance that two random tokens agree, per agreement: sum f^2 / sum f (fixed from prior).
        freqs = [c / self._total for c in self._counts.values()]
        self._u_avg = sum(f * f for f in freqs) / (sum(freqs) or 1.0) or 1e-4

    def add(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._counts[key] += 1
            self._total += 1

    def frequency(self, key: str) -> float:
        return (self._counts.get(key, 0.0) + _UNSEEN_COUNT) / (self._total + _UNSEEN_COUNT)

    def adjustment_bits(self, key: str) -> float:
        """How much more (positive) or less (negative) an agreement on `key` says than average."""
        bits = math.log2(self._u_avg / self.frequency(key))
        return min(_MAX_BITS, max(_MIN_BITS, bits))
