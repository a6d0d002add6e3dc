"""The webhook verification snippet in the notifier's README accepts what the notifier signs and
refuses stale timestamps and tampered bodies: receivers can copy it as it is."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.notifier.domain.signing import headers, new_secret

README = Path(__file__).resolve().parents[3] / "services" / "notifier" / "README.md"


def _snippet() -> Callable[..., None]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [code] = [b for b in blocks if "def verify_webhook" in b]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own documentation
    verify: Callable[..., None] = namespace["verify_webhook"]
    return verify


def test_the_documented_snippet_verifies_and_refuses() -> None:
    verify = _snippet()
    secret = new_secret()
    body = b'{"id":"6815fee6-8ba9-5845-b65c-a0197212129c","kind":"match.proposed"}'
    now = int(time.time())
    verify(secret, headers(secret, "6815fee6", now, body), body)
    with pytest.raises(ValueError, match="stale"):
        verify(secret, headers(secret, "6815fee6", now - 3600, body), body)
    with pytest.raises(ValueError, match="signature"):
        verify(secret, headers(secret, "6815fee6", now, body), body + b" ")
    with pytest.raises(ValueError, match="signature"):
        verify(new_secret(), headers(secret, "6815fee6", now, body), body)
