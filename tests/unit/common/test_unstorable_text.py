"""Text PostgreSQL cannot store is always found: the fast pre-check never clears a body that the
full walk would refuse."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.schema_problems import may_hold_unstorable_text, unstorable_text
from tests.integration.intake import bodies


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        (bodies.alert(), []),
        (bodies.sighting(notes="\\u0000 typed as text, not a NUL"), []),
        (bodies.sighting(notes="a\x00b"), ["/notes"]),
        (bodies.sighting(notes="\ud800"), ["/notes"]),
        (bodies.alert(child=bodies.child(other_names=["ok", "\udfff"])), ["/child/other_names/1"]),
        ({"a\x00": 1}, [""]),
        ({"\ud800": 1}, [""]),
        ({"n": 10**30, "s": "a\x00"}, ["/s"]),
        ({"n": 10**30}, []),
    ],
)
def test_pre_check_and_walk_agree(body: Any, pointers: list[str]) -> None:
    found = [e.pointer for e in unstorable_text(body, "")]
    assert found == pointers
    if pointers:
        assert may_hold_unstorable_text(body)
    assert may_hold_unstorable_text(bodies.alert()) is False
