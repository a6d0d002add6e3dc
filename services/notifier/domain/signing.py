"""Webhook signatures in the Standard Webhooks style (standardwebhooks.com).

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is
`v1,` + base64(HMAC-SHA256(secret, content)); the secret is shared as `whsec_` + base64 of its
bytes. Receivers verify the signature and refuse timestamps older than a tolerance (replays).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature does not verify, or the timestamp is outside the tolerance."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    received: dict[str, str],
    body: bytes,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise SignatureError unless one of the `v1,` signatures matches and the timestamp is
    within `tolerance` seconds of `now`. This is the procedure documented for receivers."""
    msg_id = received.get("webhook-id", "")
    try:
        timestamp = int(received.get("webhook-timestamp", ""))
    except ValueError:
        raise SignatureError("missing or malformed webhook-timestamp") from None
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance: a stale or replayed message")
    expected = sign(secret, msg_id, timestamp, body)
    offered = received.get("webhook-signature", "").split()
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise SignatureError("no signature matches")
