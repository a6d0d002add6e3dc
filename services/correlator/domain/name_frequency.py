"""Name-token frequencies for term-frequency adjustment of name agreement.

Frequencies come from the bundled table only (approximate counts per 100 000 name tokens on the
routes, compiled from domain knowledge, not data), read by `services.correlator.tables` and
handed in.  They never learn from the events being
matched: a pair's score must not depend on which alerts and observations an instance happened
to see before, or two correlator instances, a restarted one and the offline command would
disagree.  Agreement on a token of frequency f is worth log2(u_avg / f) bits on top of the
comparison level's weight (Fellegi-Sunter TF adjustment).
"""

from __future__ import annotations

import math
from collections import Counter

from services.correlator.domain.names import split_tokens, token_key

_TABLE_TOTAL = 100_000.0
# A token missing from the table is assumed about as rare as the rarest names it lists.
_UNSEEN_COUNT = 5.0
_MIN_BITS, _MAX_BITS = -4.0, 8.0


def parse_frequency_table(text: str) -> Counter[str]:
    """A frequency table (`word<TAB>count per 100 000 tokens` lines) as folded single tokens."""
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, count = line.partition("\t")
        tokens = split_tokens(word)
        if len(tokens) == 1 and count.strip():
            counts[tokens[0]] += int(count)
    return counts


def pooled_by_key(words: Counter[str]) -> Counter[str]:
    """Word counts keyed by token key (variant group), spellings pooled."""
    counts: Counter[str] = Counter()
    for word, count in words.items():
        counts[token_key(word)] += count
    return counts


class NameFrequencies:
    """Immutable token-key frequencies from a fixed table; adjustment bits are memoised."""

    __slots__ = ("_counts", "_u_avg", "_bits")

    def __init__(self, prior: Counter[str]) -> None:
        """`prior`: counts per 100 000 tokens keyed by token key (see `pooled_by_key`)."""
        self._counts: dict[str, float] = dict(prior)
        # Chance that two random tokens agree, per agreement: sum f^2 / sum f.
        freqs = [c / _TABLE_TOTAL for c in self._counts.values()]
        self._u_avg = sum(f * f for f in freqs) / (sum(freqs) or 1.0) or 1e-4
        self._bits: dict[str, float] = {}

    def frequency(self, key: str) -> float:
        return (self._counts.get(key, 0.0) + _UNSEEN_COUNT) / (_TABLE_TOTAL + _UNSEEN_COUNT)

    def adjustment_bits(self, key: str) -> float:
        """How much more (positive) or less (negative) an agreement on `key` says than average."""
        bits = self._bits.get(key)
        if bits is None:
            raw = math.log2(self._u_avg / self.frequency(key))
            bits = min(_MAX_BITS, max(_MIN_BITS, raw))
            if len(self._bits) < 1_000_000:
                self._bits[key] = bits
        return bits

