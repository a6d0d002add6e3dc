"""Identity documents in the scenario: some children hold a passport or a national identity card
(one number for the child), a registering centre writes it down or not (the careful centre where
an alert's record comes from more often), now and then misreading a character; sightings never
carry one. Each draw has a generator of its own, seeded by scenario, child and record, so the
rest of a scenario is the same as without documents.
"""

from __future__ import annotations

import random
from typing import Any

from .model import Child
from .profiles import current

_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _document(seed: int, child: Child) -> dict[str, Any] | None:
    rng = random.Random(f"document/{seed}/{child.child_id}")
    if rng.random() >= current().document_holders:
        return None
    if rng.random() < 0.5:
        number = rng.choice(_LETTERS) + "".join(rng.choices(_DIGITS, k=rng.choice((7, 8))))
        kind = "passport"
    else:
        number = "".join(rng.choices(_DIGITS, k=rng.choice((8, 9, 10))))
        kind = "national_id"
    return {"type": kind, "number": number, "issuing_country": child.origin}


def _misread(rng: random.Random, number: str) -> str:
    at = rng.randrange(len(number))
    if at + 1 < len(number) and rng.random() < 0.4:  # two characters swapped
        return number[:at] + number[at + 1] + number[at] + number[at + 2:]
    pool = _DIGITS if number[at].isdigit() else _LETTERS
    return number[:at] + rng.choice(pool.replace(number[at], "")) + number[at + 1:]


def recorded_documents(
    seed: int, child: Child, record_id: str, careful: bool
) -> list[dict[str, Any]]:
    """The documents a centre's registration of the child lists (most list none)."""
    document = _document(seed, child)
    if document is None:
        return []
    profile = current()
    rng = random.Random(f"document/{seed}/{record_id}")
    share = profile.document_recorded_careful if careful else profile.document_recorded
    if rng.random() >= share:
        return []
    if rng.random() < profile.document_misread:
        document = {**document, "number": _misread(rng, document["number"])}
    return [document]
