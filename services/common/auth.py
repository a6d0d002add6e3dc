"""Bearer tokens: EdDSA (Ed25519) JWTs naming an organisation, its kind, country and roles.

Claims: `sub` (token subject: a person or system at the organisation), `org` (organisation id),
`org_kind` (police | reception_centre | ngo | hotline | investigator | auditor), `country`
(ISO 3166-1 alpha-3), `roles` (list), `exp` (enforced), `iat`, `jti` (for revocation).
Reading the audit log is a *role* (`auditor`), not a kind: an oversight body gets
`org_kind=auditor` with that role, and any organisation's internal auditor can hold the role too.

Verification keys come from KINLINK_AUTH_PUBLIC_KEYS (a PEM file or a directory of them; the
file stem is the `kid`), the signing key for `kinlink token issue` from
KINLINK_AUTH_PRIVATE_KEY. With neither configured, a development key pair is generated once
under the cache (`.cache/auth/dev.pem`), so a local stack and its tokens agree.
Revoked token ids (`jti`, one per line) are read from KINLINK_AUTH_REVOKED_FILE, re-read when
the file changes.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.common.keys import (
    default_cache_dir,
    ensure_dev_keys,
    load_private_key,
    load_public_keys,
)
from services.common.revocation import RevocationList

ORG_KINDS = ("police", "reception_centre", "ngo", "hotline", "investigator", "auditor")
AUDITOR_ROLE = "auditor"
ALGORITHM = "EdDSA"
ISSUER = "kinlink"
AUDIENCE = "kinlink"
_COUNTRY = re.compile(r"^[A-Z]{3}$")
_ORG_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$")
_TTL = re.compile(r"^(\d+)([smhd])$")
_REQUIRED_CLAIMS = ["exp", "iat", "jti", "sub", "iss", "aud"]


class AuthError(Exception):
    """The token is missing, malformed, badly signed, expired or revoked; the message says
    which, for the WWW-Authenticate error description (never the token itself)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims of a bearer token."""

    subject: str
    org: str
    org_kind: str
    country: str
    roles: frozenset[str] = frozenset()
    jti: str = ""

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Caller:
    """Who asks a use case for something, and in which request (for the audit log)."""

    principal: Principal
    request_id: str


def parse_ttl(text: str) -> timedelta:
    """`90s`, `30m`, `8h`, `7d` -> timedelta."""
    found = _TTL.match(text.strip())
    if found is None:
        raise ValueError("a TTL is a number and a unit: s, m, h or d (e.g. 8h)")
    amount, unit = int(found.group(1)), found.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


def issue_token(
    private_key: Ed25519PrivateKey,
    kid: str,
    *,
    org: str,
    org_kind: str,
    country: str,
    roles: Sequence[str] = (),
    ttl: timedelta = timedelta(hours=8),
    subject: str | None = None,
    now: int | None = None,
) -> str:
    """A signed token; `now` (epoch seconds) is for tests of expiry."""
    if org_kind not in ORG_KINDS:
        raise ValueError(f"org_kind must be one of {', '.join(ORG_KINDS)}")
    if not _COUNTRY.match(country):
        raise ValueError("country must be an ISO 3166-1 alpha-3 code")
    if not _ORG_ID.match(org):
        raise ValueError("org must be a stable identifier (letters, digits, . _ : / -)")
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject or f"{org}/system",
        "org": org,
        "org_kind": org_kind,
        "country": country,
        "roles": sorted(set(roles)),
        "iat": issued,
        "exp": issued + int(ttl.total_seconds()),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid})


class TokenVerifier:
    """Checks the algorithm (EdDSA only), signature (by `kid`), issuer, audience, expiry and
    not-before (with a little leeway for clock skew), required claims and revocation.

    A token whose signature and claims have been checked is remembered (by its SHA-256, up to
    `cache_size` tokens, oldest forgotten first), because a client sends the same token with
    every request and an Ed25519 check costs more than the rest of a small request. Expiry and
    revocation are still checked on every use.
    """

    def __init__(
        self,
        public_keys: Mapping[str, Ed25519PublicKey],
        revoked: RevocationList | None = None,
        leeway_seconds: int = 30,
        *,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = dict(public_keys)
        self._revoked = revoked or RevocationList()
        self._leeway = leeway_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._verified: dict[bytes, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        known = self._verified.get(digest)
        if known is None:
            known = self._verify_signed(token)
            if len(self._verified) >= self._cache_size:
                del self._verified[next(iter(self._verified))]
            self._verified[digest] = known
        principal, expires = known
        if self._clock() > expires + self._leeway:
            del self._verified[digest]
            raise AuthError("the token has expired")
        if principal.jti in self._revoked:
            raise AuthError("the token has been revoked")
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        """The principal and expiry time of a well-signed token with valid claims."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the token is not a JWT") from None
        if header.get("alg") != ALGORITHM:
            # Never let the token choose how it is checked (`none`, HS256 keyed with our
            # public key): only EdDSA is accepted, whatever PyJWT would allow.
            raise AuthError("the token is not signed with EdDSA")
        key = self._keys.get(str(header.get("kid", "")))
        if key is None:
            raise AuthError("the token is signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                audience=AUDIENCE,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise AuthError("the token has another issuer") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token is meant for another audience") from None
        except jwt.PyJWTError:
            raise AuthError("the token is invalid") from None
        return _principal(claims), float(claims["exp"])


def _principal(claims: Mapping[str, Any]) -> Principal:
    org, kind, country, roles = (
        claims.get("org"),
        claims.get("org_kind"),
        claims.get("country"),
        claims.get("roles", []),
    )
    if not isinstance(org, str) or not _ORG_ID.match(org):
        raise AuthError("the token names no valid organisation")
    if kind not in ORG_KINDS:
        raise AuthError("the token names no valid organisation kind")
    if not isinstance(country, str) or not _COUNTRY.match(country):
        raise AuthError("the token names no valid country")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise AuthError("the token's roles are not a list of strings")
    return Principal(
        subject=str(claims["sub"]),
        org=org,
        org_kind=str(kind),
        country=country,
        roles=frozenset(roles),
        jti=str(claims["jti"]),
    )


@dataclass(frozen=True)
class AuthSettings:
    """Where keys and the revocation list are (KINLINK_AUTH_*)."""

    public_keys: Path | None = None
    private_key: Path | None = None
    revoked_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthSettings:
        env = os.environ if env is None else env

        def path(name: str) -> Path | None:
            raw = env.get(name, "").strip()
            return Path(raw) if raw else None

        return cls(
            public_keys=path("KINLINK_AUTH_PUBLIC_KEYS"),
            private_key=path("KINLINK_AUTH_PRIVATE_KEY"),
            revoked_file=path("KINLINK_AUTH_REVOKED_FILE"),
        )

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        return load_private_key(self.private_key or ensure_dev_keys())

    @property
    def revocation_file(self) -> Path:
        """KINLINK_AUTH_REVOKED_FILE, or `revoked.txt` beside the development key."""
        return self.revoked_file or default_cache_dir() / "auth" / "revoked.txt"

    @property
    def uses_development_key(self) -> bool:
        """Whether tokens are checked (or signed) with the generated development key."""
        dev = (default_cache_dir() / "auth").resolve()
        chosen = [p for p in (self.public_keys, self.private_key) if p is not None]
        if self.public_keys is None:
            return True
        return any(p.resolve() == dev or dev in p.resolve().parents for p in chosen)

    def verifier(self) -> TokenVerifier:
        keys = load_public_keys(self.public_keys or ensure_dev_keys())
        return TokenVerifier(keys, RevocationList(path=self.revocation_file))


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header; AuthError if there is none."""
    if not authorization:
        raise AuthError("no bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header is not a bearer token")
    return token.strip()
