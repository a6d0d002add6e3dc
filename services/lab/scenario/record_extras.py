"""What a record keeper adds to a Person beyond names, birth and origin: identity documents,
place of birth, height and distinguishing marks, per kind of record. Every field has draws of
its own (`documents`, `birthplaces`, `heights`, `marks`), so adding one leaves the rest of a
scenario as it was.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from .birthplaces import recorded_birthplace
from .documents import recorded_documents
from .heights import recorded_height
from .marks import recorded_marks
from .model import Child
from .profiles import current


def _set(person: dict[str, Any], field: str, value: Any) -> None:
    if value:
        person[field] = value


def add_to_registration(
    person: dict[str, Any], seed: int, child: Child, record_id: str, at: datetime, careful: bool
) -> None:
    """A centre's registration: the careful centre behind an alert asks and measures more."""
    profile = current()
    _set(person, "identity_documents", recorded_documents(seed, child, record_id, careful))
    share = profile.birthplace_recorded_careful if careful else profile.birthplace_recorded
    _set(person, "place_of_birth", recorded_birthplace(seed, child, record_id, share))
    share = profile.height_measured_careful if careful else profile.height_recorded
    measured = careful or random.Random(f"measure/{seed}/{record_id}").random() < 0.6
    how = "measured" if measured else "guessed"
    _set(person, "height_cm", recorded_height(seed, child, record_id, at, how, share))
    share = profile.marks_recorded_careful if careful else profile.marks_recorded
    _set(person, "distinguishing_marks", recorded_marks(seed, child, record_id, share))


def add_to_sighting(
    person: dict[str, Any], seed: int, child: Child, record_id: str, at: datetime
) -> None:
    """A full sighting, now and then: what the child said of its birthplace, a guessed height,
    marks on the face and hands (a sparse sighting knows nothing of the child's past)."""
    if not person["given_names"]:
        return
    profile = current()
    _set(person, "place_of_birth",
         recorded_birthplace(seed, child, record_id, profile.birthplace_sighting))
    _set(person, "height_cm",
         recorded_height(seed, child, record_id, at, "guessed", profile.height_sighting))
    _set(person, "distinguishing_marks",
         recorded_marks(seed, child, record_id, profile.marks_sighting, visible_only=True))


def add_to_alert(
    person: dict[str, Any], seed: int, child: Child, alert_id: str, last_seen: datetime
) -> None:
    """What the family tells the police when the centre's record lacks it."""
    profile = current()
    if "place_of_birth" not in person:
        _set(person, "place_of_birth",
             recorded_birthplace(seed, child, alert_id, profile.birthplace_alert_added))
    if "height_cm" not in person:  # as they last knew it
        _set(person, "height_cm", recorded_height(
            seed, child, alert_id, last_seen, "told", profile.height_alert_added
        ))
    if "distinguishing_marks" not in person:
        _set(person, "distinguishing_marks",
             recorded_marks(seed, child, alert_id, profile.marks_alert_added))
