"""Per-record matching features, computed once per alert or observation and kept compact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.correlator.domain.birth import BirthInfo, birth_info
from services.correlator.domain.birthplace import Birthplace
from services.correlator.domain.demographics import Demographics, demographics
from services.correlator.domain.documents import Document
from services.correlator.domain.geo import coordinates
from services.correlator.domain.marks import Mark
from services.correlator.domain.model import Alert, Location, Observation, Person
from services.correlator.domain.name_profile import NameProfile, build_profile
from services.correlator.domain.spacetime import TOLERANCE_HOURS, SpaceTime


@dataclass(frozen=True, slots=True)
class RecordFeatures:
    names: NameProfile
    birth: BirthInfo | None
    sex: str
    spacetime: SpaceTime
    # Nationality and language sets, built here once rather than for every compared pair.
    demographics: Demographics
    documents: tuple[Document, ...] = ()
    birthplace: Birthplace = ()
    height: int | None = None
    marks: tuple[Mark, ...] = ()


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
        spacetime=SpaceTime(
            at.timestamp() if at is not None else None,
            coordinates(location) if location is not None else None,
            since.timestamp() if since is not None else None,
            coordinates(first_location) if first_location is not None else None,
        ),
        demographics=demographics(person.nationalities, person.languages),
        documents=person.documents,
        birthplace=person.birthplace,
        height=person.height,
        marks=person.marks,
    )


def observation_features(obs: Observation) -> RecordFeatures:
    return record_features(obs.person, obs.time, obs.location)


def alert_features(alert: Alert) -> RecordFeatures:
    # An alert's age range is the age when last seen.
    return record_features(
        alert.child,
        alert.last_seen_at,
        alert.last_seen_location,
        since=alert.first_seen_at,
        first_location=alert.first_seen_location,
    )


def backfill_since(alert: Alert) -> datetime | None:
    """The earliest observation time a change of `alert` can matter for: earlier ones are
    vetoed (observed before the child went missing)."""
    since = alert.first_seen_at or alert.last_seen_at
    if since is None:
        return None
    try:
        return since - timedelta(hours=TOLERANCE_HOURS)
    except OverflowError:  # a time its schema allows within hours of year 1: nothing is earlier
        return datetime.min.replace(tzinfo=UTC)
