"""Name evidence: normalise, transliterate and compare names order-free across scripts.

Tokens are folded to lower-case ASCII (PyICU transliterates Arabic, Persian and Ge'ez), particles
are dropped and Arabic compounds (Abd al-Rahman, Abu Bakr) are joined, so spelling conventions
meet.  Two tokens agree exactly, by equivalence (same hand-made group, same rigour cross-script
symbol, same light phonetic form), closely (typo or consonant skeleton) or not at all.

rigour's cross-script symbols are asked only for names written in another script (its tagger
costs ~7 s to load, paid lazily by the first such name); Latin spellings meet through the
hand-made variant groups, phonetic forms and skeletons, which measured as well on the routes'
names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from services.correlator.domain.name_spelling import (
    make_skeletons,
    phonetic_form,
    somali_alternative,
    vowel_folded,
)
from services.correlator.domain.name_variants import VARIANT_GROUPS

EXACT, EQUIVALENT, CLOSE, NONE = 3, 2, 1, 0

_PARTICLES = frozenset(
    ("al", "el", "ul", "il", "ad", "ar", "as", "at", "az", "bin", "ben", "ibn", "bint", "binti")
    + ("ould", "wad", "wuld", "ag", "de", "da", "di", "du", "van", "von")
)
_JOINING = frozenset(
    ["abd", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdu", "abdur", "abu", "abou", "abo"]
)
_ABD = re.compile(r"^abd(?:oul|ul|el|al|ol|ur|ar|er|ir|ou|u|e|i|a|o)?(?=[a-z]{3,}$)")
_ABU = re.compile(r"^ab(?:ou|o)(?=[a-z]{3,}$)")
_TOKEN_SPLIT = re.compile(r"[^a-z]+")
# Persian and Urdu letters and their Arabic counterparts (yeh, alef maksura, kaf, heh).
_PERSIAN_TO_ARABIC = str.maketrans(
    {"\u06cc": "\u064a", "\u0649": "\u064a", "\u06a9": "\u0643", "\u06c1": "\u0647",
     "\u06be": "\u0647", "\u06d5": "\u0647"}
)


@lru_cache(maxsize=1)
def _transliterator() -> object:
    import icu

    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")


def is_latin(text: str) -> bool:
    """Whether the text is written in Latin letters (with or without diacritics)."""
    return text.isascii() or all(ord(ch) < 0x250 for ch in text)


def folded_words(text: str) -> list[str]:
    """The folded words of a name as written, particles kept (`split_tokens` drops them)."""
    return [t for t in _TOKEN_SPLIT.split(fold(text)) if t]


def is_particle(word: str) -> bool:
    """Whether a folded word is a particle that `split_tokens` drops (al, bin, de...)."""
    return word in _PARTICLES


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII form: diacritics stripped, other scripts transliterated."""
    if not is_latin(text):
        # A leading ayn usually corresponds to a written vowel in Latin spellings (Ali, Omar).
        text = re.sub("(^|\\s)\u0639", lambda m: m.group(1) + "\u0627", text)
        text = _transliterator().transliterate(text)  # type: ignore[attr-defined]
        text = text.replace("\u01dd", "")  # Ge'ez sixth order: mostly vowelless
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = re.sub(r"['\u2019\u02bb\u02bc\u02be\u02bf`]", "", stripped)
    return stripped


@lru_cache(maxsize=262144)
def split_tokens(text: str | None, *, arabic_script: bool = False) -> tuple[str, ...]:
    """Fold a name string into tokens: particles dropped, Arabic compounds joined."""
    if not text:
        return ()
    raw = folded_words(text)
    if arabic_script:
        # Transliterated Arabic glues the article to the next word (alrhmn).
        raw = [t[2:] if t.startswith("al") and len(t) > 4 else t for t in raw]
    tokens: list[str] = []
    pending = ""
    for token in raw:
        if token in _PARTICLES:
            continue
        if token in _JOINING or (arabic_script and token in ("bd", "abd")):
            pending = "abu" if token.startswith("ab") and token[2:] in ("u", "ou", "o") else "abd"
            continue
        if pending:
            token, pending = pending + token, ""
        token = _ABD.sub("abd", token)
        token = _ABU.sub("abu", token)
        tokens.append(token)
    if pending:
        tokens.append(pending)
    return tuple(tokens)


def warm_up() -> None:
    """Build rigour's name tagger now. Its first use costs seconds of CPU (minutes on a busy
    machine); inside the first event it blocked the consumer's event loop past the group's
    session timeout, so a restarted correlator was thrown out of its group and rejoined again
    and again. Called once at start-up, before the consumer joins."""
    _rigour_symbols("Warm Up")


@lru_cache(maxsize=262144)
def _rigour_symbols(text: str) -> frozenset[str]:
    from rigour.names import NameTypeTag, analyze_names

    symbols: set[str] = set()
    for name in analyze_names(NameTypeTag.PER, [text], consolidate=False, phonetics=False):
        for span in name.spans:
            if len(span.parts) == 1 and str(span.symbol.category).endswith("NAME"):
                symbols.add(str(span.symbol.id))
    return frozenset(symbols)


@dataclass(frozen=True, slots=True, eq=False)
class Token:
    """One analysed name token.  Tokens are memoised per (form, original spelling), so equal
    tokens are usually the same object and compare by identity (hash and equality)."""

    form: str
    phonetic: str
    key: str  # frequency and equivalence key: the variant group, else the phonetic form
    skeletons: frozenset[str]
    symbols: frozenset[str]
    grouped: bool = False  # a known name (its key is a variant group)
    abjad: bool = False  # transliterated from Arabic script (short vowels unwritten)


@lru_cache(maxsize=1)
def _groups() -> dict[str, str]:
    # The table is written in everyday spellings; key it by the forms split_tokens produces.
    groups: dict[str, str] = {}
    for word, canonical in VARIANT_GROUPS.items():
        folded, canon = split_tokens(word), split_tokens(canonical)
        if len(folded) == 1 and len(canon) == 1:
            groups.setdefault(folded[0], canon[0])
            groups.setdefault(phonetic_form(folded[0]), canon[0])
    return groups


@lru_cache(maxsize=262144)
def _group_of(form: str) -> str | None:
    groups = _groups()
    key = groups.get(form) or groups.get(phonetic_form(form))
    alt = somali_alternative(form)
    if key is None and alt is not None:
        key = groups.get(alt) or groups.get(phonetic_form(alt))
    return key


# Which derivation of `token_key` (the phonetic form and the variant groups) stored keys were
# made with: counts kept under another version are not read (`postgres_reviews`). Raised
# whenever a change to names or spelling would give a token another key (2: German
# transliteration and j for y in the phonetic form).
TOKEN_KEY_VERSION = 2


def token_key(form: str) -> str:
    """The frequency and equivalence key of a folded token: its variant group or phonetic form."""
    return _group_of(form) or phonetic_form(form)


@lru_cache(maxsize=1 << 20)
def make_token(form: str, original: str | None = None) -> Token:
    """The analysed token; rigour's tagger runs once per distinct non-Latin spelling only."""
    foreign = original is not None and not is_latin(original) and len(form) > 1
    abjad = foreign and original is not None and any("\u0600" <= ch <= "\u06ff" for ch in original)
    skeletons = make_skeletons(form, abjad)
    # rigour knows names, not names with the article glued on (al-Hasan is written as one word).
    lookup = original
    if abjad and original and original.startswith("\u0627\u0644"):
        lookup = original[2:]
    symbols = frozenset[str]()
    if foreign and lookup and len(lookup) > 1:
        symbols = _rigour_symbols(lookup)
        # rigour knows many Persian names only in Arabic letters (خلیل / خليل), others only in
        # Persian ones (رحیمی): both spellings are asked.
        arabic = lookup.translate(_PERSIAN_TO_ARABIC)
        if arabic != lookup:
            symbols |= _rigour_symbols(arabic)
    group = _group_of(form)
    key = group or phonetic_form(form)
    return Token(form, phonetic_form(form), key, skeletons, symbols, group is not None, abjad)


@lru_cache(maxsize=1 << 18)
def joined_token(first: str, second: str) -> Token:
    """Two adjacent tokens written as one (Gebre Medhin / Gebremedhin), without rigour symbols:
    only spelling closeness is asked of a joined form, and there are too many pairs to tag."""
    form = first + second
    return Token(form, phonetic_form(form), token_key(form), make_skeletons(form), frozenset())


@lru_cache(maxsize=1 << 21)
def compare_tokens(a: Token, b: Token) -> int:
    """Agreement level of two tokens (memoised: names repeat, and this is the per-pair cost)."""
    if a.form == b.form:
        return EXACT
    sym_a, sym_b = a.symbols, b.symbols
    # Against a name written in another script, a Latin spelling asks rigour for its symbols.
    if sym_a and not sym_b and len(b.form) > 1:
        sym_b = _rigour_symbols(b.form)
    elif sym_b and not sym_a and len(a.form) > 1:
        sym_a = _rigour_symbols(a.form)
    if a.key == b.key or a.phonetic == b.phonetic or sym_a & sym_b:
        return EQUIVALENT
    shortest = min(len(a.form), len(b.form))
    if shortest < 3:
        return NONE
    # Every CLOSE outcome below implies a Jaro-Winkler similarity of at least 0.7: most pairs
    # of unrelated names stop here, at the cost of one fast similarity.
    similarity = JaroWinkler.similarity(a.form, b.form, score_cutoff=0.7)
    if similarity == 0.0:
        # Written without short vowels (mrany), an Arabic-script name is far from its Latin
        # spelling (Alamrani) but shares its consonants.
        shared = a.abjad != b.abjad and a.skeletons & b.skeletons
        return CLOSE if shared and min(len(s) for s in shared) >= 3 else NONE
    distance = DamerauLevenshtein.distance(a.form, b.form, score_cutoff=3)
    if (sym_a and sym_b) or (a.grouped and b.grouped):
        # Both are known, distinct names (Hassan / Hussein): only a plain typo may join them.
        return CLOSE if distance <= 1 and shortest >= 5 else NONE
    if (distance <= 1 and shortest >= 4) or (distance <= 2 and shortest >= 7):
        return CLOSE
    if a.skeletons & b.skeletons and len(min(a.skeletons, key=len)) >= 3:
        return CLOSE
    if similarity >= 0.92:
        return CLOSE
    # Spellings differing in vowels, doubled letters and one more slip (Amrzni / Amranni).
    folded = DamerauLevenshtein.distance(vowel_folded(a.form), vowel_folded(b.form), score_cutoff=2)
    return CLOSE if folded == 0 or (folded <= 1 and shortest >= 6) else NONE
