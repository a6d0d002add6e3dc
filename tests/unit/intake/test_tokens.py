"""Bearer tokens: algorithm, signature by kid, issuer, audience, expiry, not-before, revocation,
claims. Every refusal is an AuthError (401 at the HTTP door: tests/integration/test_tokens_http)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.auth import (
    AuthError,
    TokenVerifier,
    bearer_token,
    issue_token,
    parse_ttl,
)
from services.common.revocation import RevocationList, revoke
from services.intake.cli import token as token_command
from tests.forged_tokens import claims, unsigned

KEY = Ed25519PrivateKey.generate()


def verifier(revoked: RevocationList | None = None) -> TokenVerifier:
    return TokenVerifier({"k1": KEY.public_key()}, revoked)


def mint(**kwargs: object) -> str:
    args: dict[str, object] = {"org": "it-ps-imperia", "org_kind": "police", "country": "ITA"}
    args.update(kwargs)
    return issue_token(KEY, "k1", **args)  # type: ignore[arg-type]


def test_valid_token_yields_the_principal() -> None:
    principal = verifier().verify(mint(roles=["duty"], subject="officer-7"))
    assert (principal.org, principal.org_kind, principal.country) == (
        "it-ps-imperia",
        "police",
        "ITA",
    )
    assert principal.subject == "officer-7" and principal.roles == {"duty"} and principal.jti


def test_expired_token_is_refused() -> None:
    old = mint(ttl=timedelta(minutes=5), now=1_600_000_000)
    with pytest.raises(AuthError, match="expired"):
        verifier().verify(old)


def test_revoked_token_is_refused_once_listed(tmp_path: Path) -> None:
    token = mint()
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    listing = tmp_path / "revoked.txt"
    revoked = RevocationList(path=listing)
    assert verifier(revoked).verify(token)
    listing.write_text(f"# revoked\n{jti}\n")
    with pytest.raises(AuthError, match="revoked"):
        verifier(revoked).verify(token)
    with pytest.raises(AuthError, match="revoked"):
        verifier(RevocationList(fixed=frozenset({jti}))).verify(token)


def test_a_remembered_token_is_still_refused_once_revoked_or_expired(tmp_path: Path) -> None:
    token = mint(ttl=timedelta(minutes=10))
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    listing = tmp_path / "revoked.txt"
    now = [float(exp - 60)]
    same = TokenVerifier(
        {"k1": KEY.public_key()}, RevocationList(path=listing), clock=lambda: now[0]
    )
    assert same.verify(token).jti == jti
    assert same.verify(token).jti == jti  # remembered
    now[0] = exp + 31.0  # past the 30 s leeway
    with pytest.raises(AuthError, match="expired"):
        same.verify(token)
    now[0] = float(exp - 60)
    assert same.verify(token).jti == jti
    listing.write_text(f"{jti}\n")
    with pytest.raises(AuthError, match="revoked"):
        same.verify(token)


def test_remembering_tokens_is_bounded_and_never_skips_the_signature() -> None:
    small = TokenVerifier({"k1": KEY.public_key()}, cache_size=2)
    tokens = [mint(subject=f"officer-{n}") for n in range(3)]
    assert [small.verify(t).subject for t in tokens] == [f"officer-{n}" for n in range(3)]
    assert small.verify(tokens[0]).subject == "officer-0"  # forgotten, checked again
    header, payload, signature = tokens[1].split(".")
    forged = ".".join([header, payload, signature[:-4] + "AAAA"])
    with pytest.raises(AuthError, match="invalid"):
        small.verify(forged)


def test_other_keys_and_tampering_are_refused() -> None:
    stranger = issue_token(
        Ed25519PrivateKey.generate(), "k1", org="x", org_kind="ngo", country="FRA"
    )
    for bad in (stranger, mint()[:-3] + "abc", "garbage"):
        with pytest.raises(AuthError):
            verifier().verify(bad)
    unknown_kid = issue_token(KEY, "k2", org="x", org_kind="ngo", country="FRA")
    with pytest.raises(AuthError, match="unknown key"):
        verifier().verify(unknown_kid)


def test_claims_must_name_a_known_kind_and_country() -> None:
    forged = jwt.encode(
        {
            "iss": "kinlink",
            "aud": "kinlink",
            "sub": "s",
            "org": "o",
            "org_kind": "mayor",
            "country": "ITA",
            "iat": 1,
            "exp": 4_000_000_000,
            "jti": "j",
        },
        KEY,
        algorithm="EdDSA",
        headers={"kid": "k1"},
    )
    with pytest.raises(AuthError, match="kind"):
        verifier().verify(forged)
    with pytest.raises(ValueError):
        mint(country="Italy")


def test_bearer_header_and_ttl_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    for header in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(AuthError):
            bearer_token(header)
    assert parse_ttl("8h") == timedelta(hours=8) and parse_ttl("30m") == timedelta(minutes=30)
    with pytest.raises(ValueError):
        parse_ttl("forever")


def _signed(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), KEY, algorithm="EdDSA", headers={"kid": "k1"})


def test_a_well_formed_token_signed_by_hand_is_accepted() -> None:
    assert verifier().verify(_signed()).org == "it-ps-imperia"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": 1_600_000_000, "iat": 1_599_990_000}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "not valid yet"),
        ({"iss": "someone-else"}, "another issuer"),
        ({"aud": "another-system"}, "another audience"),
        ({"aud": None}, "invalid"),
        ({"jti": None}, "invalid"),
    ],
    ids=["expired", "not-before", "issued-in-future", "issuer", "audience", "no-aud", "no-jti"],
)
def test_claims_out_of_bounds_are_refused(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        verifier().verify(_signed(**overrides))


def test_only_eddsa_is_accepted_whatever_the_token_says() -> None:
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forgeries = {
        "none": unsigned({"alg": "none", "kid": "k1", "typ": "JWT"}, claims(), None),
        "HS256 keyed with the public key": unsigned(
            {"alg": "HS256", "kid": "k1", "typ": "JWT"}, claims(), public_pem
        ),
        "EdDSA header, no signature": unsigned({"alg": "EdDSA", "kid": "k1"}, claims(), None),
    }
    for name, forged in forgeries.items():
        with pytest.raises(AuthError, match="EdDSA|invalid"):
            verifier().verify(forged)
            pytest.fail(f"accepted a token with {name}")


def test_a_signature_by_another_key_under_our_kid_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    forged = jwt.encode(claims(), other, algorithm="EdDSA", headers={"kid": "k1"})
    with pytest.raises(AuthError, match="invalid"):
        verifier().verify(forged)


def test_revoke_appends_once_and_refuses_blank_or_spaced_ids(tmp_path: Path) -> None:
    listing = tmp_path / "auth" / "revoked.txt"
    assert revoke(listing, "j-1") and not revoke(listing, "j-1")
    assert listing.read_text() == "j-1\n"
    for bad in ("", "a b", "#x"):
        with pytest.raises(ValueError):
            revoke(listing, bad)


def test_token_revoke_command_makes_the_verifier_refuse_the_token(tmp_path: Path) -> None:
    listing = tmp_path / "revoked.txt"
    revoked = RevocationList(path=listing)
    token = mint()
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert verifier(revoked).verify(token).jti == jti
    result = CliRunner().invoke(token_command, ["revoke", jti, "--file", str(listing)])
    assert result.exit_code == 0, result.output
    assert "revoked" in result.output
    with pytest.raises(AuthError, match="revoked"):
        verifier(revoked).verify(token)
    again = CliRunner().invoke(
        token_command, ["revoke", jti], env={"KINLINK_AUTH_REVOKED_FILE": str(listing)}
    )
    assert again.exit_code == 0 and "already revoked" in again.output
