"""Order-free comparison of two name profiles, and of parents' names.

The result is a Fellegi-Sunter comparison level plus the term-frequency bits of the tokens that
agree, so agreeing on a rare name counts for more than agreeing on Mohammed. When a single token
agrees the rarity bonus is capped: one shared name, however rare, is not an identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.correlator.domain.name_frequency import NameFrequencies
from services.correlator.domain.name_profile import NameProfile
from services.correlator.domain.names import (
    CLOSE,
    EQUIVALENT,
    EXACT,
    NONE,
    Token,
    compare_tokens,
    joined_token,
)

NAME_LEVELS = ("full", "full_fuzzy", "single", "partial", "given_conflict", "none", "missing")
# How the given names themselves agree: the same spelling says more than a known variant, a
# variant more than a near spelling (the name level alone does not tell them apart).
GIVEN_LEVELS = ("exact", "equivalent", "close", "differ", "missing")
_GIVEN = {EXACT: "exact", EQUIVALENT: "equivalent", CLOSE: "close", NONE: "differ"}
PARENT_LEVELS = ("agree", "close", "in_name", "disagree", "missing")
RARITY_LEVELS = ("rare", "uncommon", "ordinary", "common", "very_common", "none")
_CLOSE_QUALITY = 0.6
_COMPOUND_SLACK = 3
SINGLE_TOKEN_CAP = 1.0  # bits of rarity bonus at most when only one name token agrees
_RARITY_BOUNDS = ((1.5, "rare"), (0.5, "uncommon"), (-0.5, "ordinary"), (-1.5, "common"))


@dataclass(frozen=True, slots=True)
class NameComparison:
    level: str
    tf_bits: float
    agreeing: int = 0  # distinct name tokens that agree

    @property
    def rarity(self) -> str:
        """The rarity bonus of the agreeing tokens as a level."""
        if self.agreeing == 0:
            return "none"
        return next((name for bound, name in _RARITY_BOUNDS if self.tf_bits > bound), "very_common")


def _best(token: Token, others: tuple[Token, ...]) -> int:
    best = NONE
    for other in others:
        level = compare_tokens(token, other)
        if level > best:
            best = level
            if best > EQUIVALENT:
                break
    return best


def _compound(token: Token, others: tuple[Token, ...]) -> int:
    # A joined compound on one side (Gebremedhin) against split parts on the other (Gebre Medhin).
    for first, second in zip(others, others[1:], strict=False):
        if abs(len(first.form) + len(second.form) - len(token.form)) > _COMPOUND_SLACK:
            continue  # cannot be close: skip building the joined form
        joined = joined_token(first.form, second.form)
        level = compare_tokens(token, joined)
        if level >= CLOSE:
            return level
    return NONE


def _both_levels(a: NameProfile, b: NameProfile) -> tuple[list[int], list[int]]:
    """Best level of each core token of `a` against all of `b`'s tokens, and vice versa; each
    token pair is compared once (this is the hot path of scoring). An alternative that writes a
    core token another way (`NameProfile.twins`) lends that token its level against the other
    record's core."""
    levels_a = [NONE] * len(a.core)
    levels_b = [NONE] * len(b.core)
    n_a, n_b = len(a.core), len(b.core)
    twins_a, twins_b = a.twins, b.twins
    for i, token_a in enumerate(a.all_tokens):
        owner_a = i if i < n_a else twins_a[i - n_a]
        for j, token_b in enumerate(b.all_tokens):
            if i >= n_a and j >= n_b:
                break
            level = compare_tokens(token_a, token_b)
            if j < n_b:
                if owner_a >= 0 and level > levels_a[owner_a]:
                    levels_a[owner_a] = level
                if level > levels_b[j]:
                    levels_b[j] = level
            else:
                # i < n_a here: `a`'s core token against one of `b`'s alternatives.
                if level > levels_a[i]:
                    levels_a[i] = level
                owner_b = twins_b[j - n_b]
                if owner_b >= 0 and level > levels_b[owner_b]:
                    levels_b[owner_b] = level
    for i, level in enumerate(levels_a):
        if level == NONE:
            levels_a[i] = _compound(a.core[i], b.core)
    for j, level in enumerate(levels_b):
        if level == NONE:
            levels_b[j] = _compound(b.core[j], a.core)
    return levels_a, levels_b


def given_agrees(a: NameProfile, b: NameProfile) -> bool:
    """Whether either record's given name agrees (at least closely) with a token of the other,
    as `compare_names` finds it: when neither does, the name level can only be "none" or
    "given_conflict". Both records must have a name."""
    given_a, given_b = a.core[0], b.core[0]
    best = max((compare_tokens(given_a, token) for token in b.all_tokens), default=NONE)
    for twin in a.given_twins:
        best = max(best, *(compare_tokens(twin, token) for token in b.core))
    if best >= CLOSE or (best == NONE and _compound(given_a, b.core) >= CLOSE):
        return True
    best = max((compare_tokens(token, given_b) for token in a.all_tokens), default=NONE)
    for twin in b.given_twins:
        best = max(best, *(compare_tokens(token, twin) for token in a.core))
    return best >= CLOSE or (best == NONE and _compound(given_b, a.core) >= CLOSE)


def compare_names(a: NameProfile, b: NameProfile, freqs: NameFrequencies) -> NameComparison:
    if not a.core or not b.core:
        return NameComparison("missing", 0.0)
    levels_a, levels_b = _both_levels(a, b)
    if len(a.core) <= len(b.core):
        short, short_levels = a, levels_a
    else:
        short, short_levels = b, levels_b
    if not any(levels_a) and not any(levels_b):
        return NameComparison("none", 0.0)
    tf_bits = 0.0
    seen: set[str] = set()
    for token, level in zip(short.core, short_levels, strict=True):
        if level >= CLOSE and token.key not in seen:
            seen.add(token.key)
            quality = 1.0 if level >= EQUIVALENT else _CLOSE_QUALITY
            tf_bits += quality * freqs.adjustment_bits(token.key)
    agreeing = len(seen)
    if agreeing == 1:
        tf_bits = min(tf_bits, SINGLE_TOKEN_CAP)
    given_a, given_b = levels_a[0] >= CLOSE, levels_b[0] >= CLOSE
    if not given_a and not given_b:
        return NameComparison("given_conflict", tf_bits, agreeing)
    if all(level >= CLOSE for level in short_levels):
        if len(short.core) == 1:
            return NameComparison("single", tf_bits, agreeing)
        if given_a and given_b:
            fuzzy = any(level == CLOSE for level in short_levels)
            return NameComparison("full_fuzzy" if fuzzy else "full", tf_bits, agreeing)
    return NameComparison("partial", tf_bits, agreeing)


def compare_given(a: NameProfile, b: NameProfile) -> str:
    """The agreement of the two records' given names (first name tokens)."""
    if a.given is None or b.given is None:
        return "missing"
    # Either given name, or its other writing (original script, particle glued on).
    writings_a, writings_b = a.given_writings, b.given_writings
    if len(writings_a) == 1 and len(writings_b) == 1:
        return _GIVEN[compare_tokens(a.given, b.given)]
    return _GIVEN[max(compare_tokens(x, y) for x in writings_a for y in writings_b)]


def compare_parent(
    parent_a: Token | None, parent_b: Token | None, a: NameProfile, b: NameProfile
) -> str:
    """Parent's forename on both records, or one record's parent inside the other's name chain."""
    if parent_a is not None and parent_b is not None:
        level = compare_tokens(parent_a, parent_b)
        return "agree" if level >= EQUIVALENT else "close" if level == CLOSE else "disagree"
    parent, other = (parent_a, b) if parent_a is not None else (parent_b, a)
    if parent is None:
        return "missing"
    # Patronymic naming puts the father's name second (given + father + grandfather).
    chain = other.core[1:] + other.alternatives
    if chain and _best(parent, chain) >= CLOSE:
        return "in_name"
    return "missing"
