"""Per-record matching features, computed once per alert or observation and kept compact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.correlator.domain.birth import BirthInfo, birth_info
from services.correlator.domain.geo import coordinates
from services.correlator.domain.model import Location, Person
from services.correlator.domain.names import NameProfile, build_profile
from services.correlator.domain.spacetime import SpaceTime


@dataclass(frozen=True, slots=True)
class RecordFeatures:
    names: NameProfile
    birth: BirthInfo | None
    sex: str
    nationalities: tuple[str, ...]
    languages: tuple[str, ...]
    spacetime: SpaceTime


def record_features(
    person: Person,
    at: datetime | None,
    location: Location | None,
    *,
    since: datetime | None = None,
    first_location: Location | None = None,
) -> RecordFeatures:
    """Features of a person as one record describes them at time `at` and place `location`
    (for alerts whose last-seen report was updated: `since` and `first_location`, when and
    where the child went missing)."""
    return RecordFeatures(
        names=build_profile(person),
        birth=birth_info(person, at),
        sex=person.sex,
        nationalities=person.nationalities,
        languages=person.languages,
        spacetime=SpaceTime(
            at.timestamp() if at is not None else None,
            coordinates(location) if location is not None else None,
            since.timestamp() if since is not None else None,
            coordinates(first_location) if first_location is not None else None,
        ),
    )
