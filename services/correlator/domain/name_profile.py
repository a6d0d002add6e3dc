"""A record's names as the comparison reads them: Latin given and family tokens in record
order, the other writings beside them (other names, the original script, a particle glued on)
with the core token each one stands for, and the parents' forenames. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.correlator.domain.model import Person
from services.correlator.domain.names import (
    Token,
    folded_words,
    is_latin,
    is_particle,
    make_token,
    split_tokens,
)

# Particles written apart from the name or glued to it (Ben Ali / Benali, Al Tamimi / Altamimi):
# "son / daughter of" and the article.
_GLUED = frozenset(("bin", "ben", "ibn", "bint", "ould", "al", "el"))


@dataclass(frozen=True, slots=True)
class NameProfile:
    core: tuple[Token, ...]  # Latin given + family tokens, in record order
    alternatives: tuple[Token, ...]  # other names and original-script tokens
    father: Token | None
    mother: Token | None
    # Per alternative, the core token it writes another way (the same name in its original
    # script, or joined to its particle: Bin Ali / Benali), else -1: what it agrees with, that
    # core token agrees with.
    twins: tuple[int, ...] = ()
    # Derived once per record (the comparisons read them for every pair).
    given_twins: tuple[Token, ...] = field(init=False)  # alternatives writing the given name
    given_writings: tuple[Token, ...] = field(init=False)  # the given name, then its twins
    all_tokens: tuple[Token, ...] = field(init=False)  # core, then alternatives

    def __post_init__(self) -> None:
        pairs = zip(self.alternatives, self.twins, strict=False)
        twins = tuple(token for token, owner in pairs if owner == 0)
        object.__setattr__(self, "given_twins", twins)
        object.__setattr__(self, "given_writings", self.core[:1] + twins)
        object.__setattr__(self, "all_tokens", self.core + self.alternatives)

    @property
    def given(self) -> Token | None:
        return self.core[0] if self.core else None


def _tokens(text: str | None) -> tuple[Token, ...]:
    if text and not is_latin(text):
        # Some partners put original-script names in the Latin fields.
        return _original_tokens(None, text)
    return tuple(make_token(t) for t in split_tokens(text))


def _original_tokens(script: str | None, text: str | None) -> tuple[Token, ...]:
    if not text:
        return ()
    arabic = script in ("Arab", "Aran") or any("\u0600" <= ch <= "\u06ff" for ch in text)
    originals = [w for w in text.split() if w]
    folded = split_tokens(text, arabic_script=arabic)
    if len(originals) == len(folded):
        return tuple(make_token(f, o) for f, o in zip(folded, originals, strict=True))
    return tuple(make_token(f) for f in folded)


def _joined_particles(text: str | None, tokens: tuple[Token, ...]) -> list[tuple[Token, int]]:
    """A particle glued to the name after it (Bin Ali -> binali, Al Tamimi -> altamimi), each
    with the position of that name among `tokens`: records write Benali and Bin Ali alike."""
    if not text or not is_latin(text):
        return []
    raw = folded_words(text)
    forms = [t.form for t in tokens]
    out: list[tuple[Token, int]] = []
    for particle, name in zip(raw, raw[1:], strict=False):
        if particle in _GLUED and not is_particle(name) and name in forms:
            out.append((make_token(particle + name), forms.index(name)))
    return out


def build_profile(person: Person) -> NameProfile:
    given, family = _tokens(person.given_names), _tokens(person.family_name)
    core = given + family
    alternatives: tuple[Token, ...] = ()
    twins: list[int] = []
    for other in person.other_names:
        found = _tokens(other)
        alternatives += found
        twins += [-1] * len(found)
    original = person.original_script
    if original is not None:
        # The original script's given and family names stand for the Latin ones, token for
        # token when both have as many tokens.
        for latin, text, offset in (
            (given, original.given_names, 0),
            (family, original.family_name, len(given)),
        ):
            found = _original_tokens(original.script, text)
            alternatives += found
            aligned = len(found) == len(latin)
            twins += [offset + k if aligned else -1 for k in range(len(found))]
    for text, latin, offset in (
        (person.given_names, given, 0),
        (person.family_name, family, len(given)),
    ):
        for token, position in _joined_particles(text, latin):
            alternatives += (token,)
            twins.append(offset + position)
    if not core:
        core, alternatives, twins = alternatives, (), []
    father = _tokens(person.father_name)
    mother = _tokens(person.mother_name)
    return NameProfile(
        core,
        alternatives,
        father[0] if father else None,
        mother[0] if mother else None,
        tuple(twins),
    )
