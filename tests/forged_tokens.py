"""Tokens built by hand, as an attacker (or a foreign issuer) would: the claims of a valid
police token with any of them changed, and JWTs PyJWT refuses to make (`alg: none`, HS256
keyed with a public key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "kinlink",
        "aud": "kinlink",
        "sub": "it-ps-imperia/officer-1",
        "org": "it-ps-imperia",
        "org_kind": "police",
        "country": "ITA",
        "roles": [],
        "iat": now,
        "exp": now + 3600,
        "jti": "j-1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsigned(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT built by hand, as an attacker would: PyJWT refuses to make these."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"
