"""Name evidence on the hard cases of the correlator issue."""

from __future__ import annotations

from services.correlator.domain.engine import observation_features
from services.correlator.domain.model import (
    OBSERVATION_EVENT_KINDS,
    OriginalScriptName,
    Person,
    parse_observation,
)
from services.correlator.domain.name_compare import (
    compare_given,
    compare_names,
    compare_parent,
    given_agrees,
)
from services.correlator.domain.name_profile import build_profile
from services.correlator.domain.names import (
    CLOSE,
    EQUIVALENT,
    NONE,
    compare_tokens,
    make_token,
    split_tokens,
)
from services.lab.scenario import generate_scenario
from tests.engine_tables import TABLES

FREQS = TABLES.frequencies


def _cmp(a: Person, b: Person) -> tuple[str, float]:
    result = compare_names(build_profile(a), build_profile(b), FREQS)
    return result.level, result.tf_bits


def test_transliteration_variants_are_equivalent() -> None:
    for a, b in [
        ("mohammed", "muhammad"),
        ("mohamed", "maxamed"),
        ("hussein", "hossein"),
        ("yusuf", "youssef"),
        ("ahmadi", "ahmady"),
    ]:
        assert compare_tokens(make_token(a), make_token(b)) >= EQUIVALENT, (a, b)


def test_german_transliteration_meets_the_english_one() -> None:
    # German clerks write English j as dsch (before a vowel, English y as j), sh as sch.
    for a, b in [
        ("dschafari", "jafari"),
        ("nadschjar", "najjar"),
        ("hischam", "hisham"),
        ("jussuf", "yusuf"),
        ("jahja", "yahya"),
    ]:
        assert compare_tokens(make_token(a), make_token(b)) >= EQUIVALENT, (a, b)


def test_look_alike_names_stay_apart() -> None:
    assert compare_tokens(make_token("hassan"), make_token("hussein")) == NONE
    assert compare_tokens(make_token("mohammed"), make_token("mahmoud")) == NONE


def test_compound_split_or_joined_is_one_name() -> None:
    forms = {split_tokens(n) for n in ("Abdulrahman", "Abd al-Rahman", "Abdul Rahman")}
    assert len(forms) == 1


def test_arabic_script_meets_latin() -> None:
    latin = Person(given_names="Hussein", family_name="Ahmadi")
    arabic = Person(
        given_names="Husain", original_script=OriginalScriptName("Arab", "حسين", "احمدی")
    )
    only_arabic = Person(given_names="حسين", family_name="احمدی")
    assert _cmp(latin, arabic)[0] in ("full", "full_fuzzy", "single")
    assert _cmp(latin, only_arabic)[0] in ("full", "full_fuzzy")


def test_persian_letters_meet_the_arabic_spelling_of_a_name() -> None:
    # Persian yeh (ی) where rigour knows the name with Arabic yeh (ي) only.
    (khalil,) = build_profile(Person(given_names="خلیل")).core
    assert compare_tokens(make_token("khalil"), khalil) >= EQUIVALENT


def test_a_name_agreeing_in_its_original_script_agrees() -> None:
    # The alert was written in Latin letters with the original script beside it; the reception
    # centre wrote the original script only, in the Latin fields.
    alert = build_profile(
        Person(
            given_names="Khaleel",
            family_name="Husaini",
            original_script=OriginalScriptName("Arab", "خلیل", "حسینی"),
        )
    )
    registration = build_profile(Person(given_names="خلیل", family_name="حسینی"))
    assert compare_names(alert, registration, FREQS).level == "full"
    assert compare_given(alert, registration) == "exact"
    assert given_agrees(alert, registration) and given_agrees(registration, alert)
    # Token counts that do not line up lend nothing: one original name for two Latin ones.
    unaligned = build_profile(
        Person(given_names="Ali Reza", original_script=OriginalScriptName("Arab", "خلیل", None))
    )
    assert unaligned.twins == (-1,)


def test_particle_written_apart_or_glued_on() -> None:
    assert _cmp(
        Person(given_names="Omar", family_name="Benali"),
        Person(given_names="Omar", family_name="Bin Ali"),
    )[0] in ("full", "full_fuzzy")
    # Given and family names swapped, the particle glued on one side only.
    swapped = (Person(given_names="Ilyas", family_name="Benali"),
               Person(given_names="Bin Ali", family_name="Ilias"))
    assert _cmp(*swapped)[0] == "full_fuzzy"
    assert _cmp(
        Person(given_names="Ahmed", family_name="Al Tamimi"),
        Person(given_names="AHMED", family_name="ALTAMIMI"),
    )[0] == "full"
    # Against the original script, which writes it as one word.
    assert _cmp(
        Person(given_names="Soufiane", family_name="Bin Ali"),
        Person(given_names="سفيان", family_name="بنعلي"),
    )[0] in ("full", "full_fuzzy")
    # The bare name still agrees, and a particle alone is no name.
    assert _cmp(
        Person(given_names="Omar", family_name="Ali"),
        Person(given_names="Omar", family_name="Bin Ali"),
    )[0] == "full"
    assert build_profile(Person(given_names="Omar", family_name="Bin")).alternatives == ()


def test_swapped_order_and_family_in_given_field() -> None:
    alert = Person(given_names="Mohammed", family_name="Ahmadi")
    assert _cmp(alert, Person(given_names="Ahmady", family_name="Muhammad"))[0] == "full"
    assert _cmp(alert, Person(given_names="Muhammad Ahmadi"))[0] == "full"


def test_patronymic_chain_against_truncated_name() -> None:
    chain = Person(given_names="Yohannes Tesfay Gebremedhin")
    assert _cmp(chain, Person(given_names="Yohanes", family_name="Tesfaye"))[0] in (
        "full",
        "full_fuzzy",
    )
    father = compare_parent(
        make_token("tesfay"),
        None,
        build_profile(Person(given_names="x")),
        build_profile(Person(given_names="Yohannes Tesfaye")),
    )
    assert father == "in_name"


def test_ge_ez_script_transliterates_to_comparable_tokens() -> None:
    latin = Person(given_names="Yohannes", family_name="Tesfay")
    geez = Person(given_names="ዮሃንስ ተስፋይ")
    assert _cmp(latin, geez)[0] in ("full", "full_fuzzy")


def test_siblings_with_same_family_name_conflict_on_given_name() -> None:
    level, _ = _cmp(
        Person(given_names="Jawad", family_name="Stanikzai"),
        Person(given_names="Bilal", family_name="Stanikzai"),
    )
    assert level == "given_conflict"


def test_rare_agreement_outweighs_common_agreement() -> None:
    _, rare = _cmp(
        Person(given_names="Jawad", family_name="Stanikzai"),
        Person(given_names="Javad", family_name="Stanikzai"),
    )
    _, common = _cmp(
        Person(given_names="Mohammed", family_name="Ali"),
        Person(given_names="Muhammad", family_name="Ali"),
    )
    assert rare > common + 5


def test_typo_is_close() -> None:
    assert compare_tokens(make_token("stanikzai"), make_token("stanekzai")) >= CLOSE


def test_spellings_differing_in_vowels_and_doubled_letters_are_close() -> None:
    for a, b in [("kaita", "keyta"), ("conde", "kondeh"), ("amrzni", "amranni")]:
        assert compare_tokens(make_token(a), make_token(b)) == CLOSE, (a, b)


def test_article_glued_on_in_latin_meets_the_bare_name() -> None:
    assert compare_tokens(make_token("obaidi"), make_token("allobaidi")) == CLOSE
    latin = build_profile(Person(given_names="Hamzah", family_name="Alamrani"))
    arabic = build_profile(
        Person(
            given_names="Hamza",
            original_script=OriginalScriptName("Arab", "حمزة", "العمراني"),
        )
    )
    assert compare_tokens(latin.core[1], arabic.alternatives[1]) == CLOSE


def test_arabic_article_does_not_hide_a_known_name() -> None:
    (hasan,) = build_profile(Person(given_names="الحسن")).core
    assert compare_tokens(make_token("hasan"), hasan) >= EQUIVALENT


def test_given_names_agree_exactly_when_the_name_comparison_finds_them_agreeing() -> None:
    profiles = [
        observation_features(parse_observation(OBSERVATION_EVENT_KINDS[e["type"]], e["data"]))
        .names
        for e in generate_scenario(11, children=40, noise="other").events
        if e["type"] in OBSERVATION_EVENT_KINDS
    ]
    profiles = [p for p in profiles if p.core][:150]
    levels: set[str] = set()
    for a in profiles:
        for b in profiles:
            level = compare_names(a, b, FREQS).level
            levels.add(level)
            assert given_agrees(a, b) == (level not in ("none", "given_conflict"))
    assert {"none", "given_conflict", "partial", "full"} <= levels
