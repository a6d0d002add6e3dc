"""Webhook signatures: what the README's verification snippet accepts and refuses."""

from __future__ import annotations

import pytest

from services.notifier.domain.signing import SignatureError, headers, new_secret, verify

BODY = b'{"id":"6815fee6-8ba9-5845-b65c-a0197212129c","kind":"match.proposed"}'


def test_a_signed_message_verifies_and_anything_else_does_not() -> None:
    secret = new_secret()
    sent = headers(secret, "msg_1", 1_700_000_000, BODY)
    verify(secret, sent, BODY, now=1_700_000_010)
    bad = [
        (new_secret(), sent, BODY, 1_700_000_010),  # another secret
        (secret, sent, BODY + b" ", 1_700_000_010),  # body changed
        (secret, {**sent, "webhook-id": "msg_2"}, BODY, 1_700_000_010),  # id changed
        (secret, sent, BODY, 1_700_000_000 + 301),  # too old: a replay
        (secret, sent, BODY, 1_700_000_000 - 301),  # from the future
        (secret, {**sent, "webhook-timestamp": "soon"}, BODY, 1_700_000_010),
    ]
    for key, received, body, now in bad:
        with pytest.raises(SignatureError):
            verify(key, received, body, now=now)


def test_rotation_several_signatures_one_valid() -> None:
    secret = new_secret()
    sent = headers(secret, "msg_1", 1_700_000_000, BODY)
    old = headers(new_secret(), "msg_1", 1_700_000_000, BODY)["webhook-signature"]
    rotated = {**sent, "webhook-signature": f"{old} {sent['webhook-signature']}"}
    verify(secret, rotated, BODY, now=1_700_000_000)
