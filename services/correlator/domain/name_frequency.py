"""Name-token frequencies for term-frequency adjustment of name agreement.

Two sources are combined: the bundled table (approximate counts per 100 000 name tokens on the
routes, compiled from domain knowledge) as a prior, and counts learned from records (the
correlator's stored alerts and observations, counted incrementally in its store, and the
records a fit was run on), smoothed towards the prior: f = (n + m p0) / (N + m). The learned
counts are part of the engine's tables, versioned with the model, so a pair's score never
depends on which records one instance happened to see before: streaming, a restarted instance
and the offline command agree. A token neither source knows is treated as ordinary (no bonus,
no penalty), not as the rarest name. Agreement on a token of frequency f is worth
log2(u_avg / f) bits (Fellegi-Sunter TF adjustment; u_avg is the chance that two random tokens
agree, per agreement).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from services.correlator.domain.names import split_tokens, token_key

_TABLE_TOTAL = 100_000.0
PRIOR_STRENGTH = 2_000.0  # the prior counts as this many tokens against learned counts
_MIN_BITS, _MAX_BITS = -4.0, 6.0


def parse_frequency_table(text: str) -> Counter[str]:
    """A frequency table (`word<TAB>count` lines) as folded single tokens."""
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, count = line.partition("\t")
        tokens = split_tokens(word)
        if len(tokens) == 1 and count.strip():
            counts[tokens[0]] += int(count)
    return counts


def pooled_by_key(words: Mapping[str, int]) -> Counter[str]:
    """Word counts keyed by token key (variant group), spellings pooled."""
    counts: Counter[str] = Counter()
    for word, count in words.items():
        counts[token_key(word)] += count
    return counts


class NameFrequencies:
    """Immutable token-key frequencies; adjustment bits are memoised."""

    __slots__ = ("_freq", "_u_avg", "_bits")

    def __init__(
        self, prior: Mapping[str, float], learned: Mapping[str, int] | None = None
    ) -> None:
        """`prior`: counts per 100 000 tokens by token key (see `pooled_by_key`); `learned`:
        token counts by key from records."""
        learned = learned or {}
        total = float(sum(learned.values()))
        prior_total = float(sum(prior.values())) or _TABLE_TOTAL
        # A learned key the prior does not list starts from the prior's smallest share.
        floor = min(prior.values()) / prior_total if prior else 1e-5
        self._freq: dict[str, float] = {}
        for key in set(prior) | set(learned):
            p0 = prior[key] / prior_total if key in prior else floor
            self._freq[key] = (learned.get(key, 0) + PRIOR_STRENGTH * p0) / (total + PRIOR_STRENGTH)
        mass = sum(self._freq.values()) or 1.0
        self._u_avg = sum(f * f for f in self._freq.values()) / mass or 1e-4
        self._bits: dict[str, float] = {}

    def frequency(self, key: str) -> float | None:
        """The token's share of all name tokens, None when no source knows it."""
        return self._freq.get(key)

    def adjustment_bits(self, key: str) -> float:
        """How much more (positive) or less (negative) an agreement on `key` says than average;
        0 for a token neither the prior nor the learned counts know (an ordinary name)."""
        bits = self._bits.get(key)
        if bits is None:
            freq = self._freq.get(key)
            raw = 0.0 if freq is None else math.log2(self._u_avg / freq)
            bits = min(_MAX_BITS, max(_MIN_BITS, raw))
            if len(self._bits) < 1_000_000:
                self._bits[key] = bits
        return bits
