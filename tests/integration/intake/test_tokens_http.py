"""At the HTTP door every bad token is a 401 with a problem+json body and a Bearer challenge:
expired, not yet valid, signed by another key, another issuer or audience, an algorithm other
than EdDSA (`none`, HS256 keyed with the public key), revoked, and replayed after revocation."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake.cli import token as token_command
from tests.forged_tokens import claims, unsigned
from tests.integration.intake import bodies
from tests.integration.intake.conftest import Keys, TokenFactory, bearer


def _bad_tokens(keys: Keys) -> dict[str, str]:
    now = int(time.time())
    public_pem = keys.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def signed(key: Ed25519PrivateKey = keys.key, **overrides: Any) -> str:
        return jwt.encode(claims(**overrides), key, algorithm="EdDSA", headers={"kid": keys.kid})

    return {
        "expired": signed(iat=now - 7200, exp=now - 3600),
        "not yet valid": signed(nbf=now + 3600),
        "wrong signature": signed(Ed25519PrivateKey.generate()),
        "wrong issuer": signed(iss="elsewhere"),
        "wrong audience": signed(aud="another-system"),
        "alg none": unsigned({"alg": "none", "kid": keys.kid}, claims(), None),
        "HS256 with the public key": unsigned(
            {"alg": "HS256", "kid": keys.kid}, claims(), public_pem
        ),
    }


async def _assert_refused(response: Any) -> None:
    assert response.status == 401, await response.text()
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == 401 and problem["title"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "not yet valid",
        "wrong signature",
        "wrong issuer",
        "wrong audience",
        "alg none",
        "HS256 with the public key",
    ],
)
async def test_a_bad_token_is_refused_with_401_problem(client: Any, keys: Keys, case: str) -> None:
    bad = _bad_tokens(keys)[case]
    await _assert_refused(await client.get("/v1/alerts", headers=bearer(bad)))
    posted = await client.post("/v1/alerts", json=bodies.alert(), headers=bearer(bad))
    await _assert_refused(posted)


async def test_a_revoked_token_is_refused_even_when_replayed_after_revocation(
    client: Any, token: TokenFactory, keys: Keys
) -> None:
    good = token("police")
    created = await client.post(
        "/v1/alerts", json=bodies.alert(), headers={**bearer(good), "Idempotency-Key": "k-1"}
    )
    assert created.status == 201
    jti = jwt.decode(good, options={"verify_signature": False})["jti"]
    result = CliRunner().invoke(
        token_command, ["revoke", jti], env={"KINLINK_AUTH_REVOKED_FILE": str(keys.revoked_file)}
    )
    assert result.exit_code == 0, result.output
    await _assert_refused(await client.get("/v1/alerts", headers=bearer(good)))
    # the very request that succeeded before, replayed with its idempotency key
    replayed = await client.post(
        "/v1/alerts", json=bodies.alert(), headers={**bearer(good), "Idempotency-Key": "k-1"}
    )
    await _assert_refused(replayed)
    assert (await client.get("/v1/alerts", headers=bearer(token("police")))).status == 200
