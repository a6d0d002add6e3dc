"""The shared names of Kinlink's event contract: CloudEvents types, topics, the schema base URL.

Every service, the lab and the tests take these names from here, so that a new event version or
topic is named once. The topic list itself (partitions, retention) is `infra/kafka/topics.yaml`.
"""

from __future__ import annotations

SCHEMA_BASE = "https://schemas.kinlink.org/"
TYPE_PREFIX = "org.kinlink."

ALERT_PUBLISHED = "org.kinlink.alert.published.v1"
ALERT_UPDATED = "org.kinlink.alert.updated.v1"
ALERT_RESOLVED = "org.kinlink.alert.resolved.v1"
REGISTRATION_RECORDED = "org.kinlink.registration.recorded.v1"
SIGHTING_REPORTED = "org.kinlink.sighting.reported.v1"
MATCH_PROPOSED = "org.kinlink.match.proposed.v1"
MATCH_WITHDRAWN = "org.kinlink.match.withdrawn.v1"
MATCH_REVIEWED = "org.kinlink.match.reviewed.v1"
# Data protection: the review warning, and erasures (each on its record's topic, in key order).
ALERT_REVIEW_DUE = "org.kinlink.alert.review_due.v1"
ALERT_ERASED = "org.kinlink.alert.erased.v1"
REGISTRATION_ERASED = "org.kinlink.registration.erased.v1"
SIGHTING_ERASED = "org.kinlink.sighting.erased.v1"
ERASED_TYPES = {"alert": ALERT_ERASED, "registration": REGISTRATION_ERASED,
                "sighting": SIGHTING_ERASED}
EVENT_TYPES = frozenset(
    {
        ALERT_PUBLISHED,
        ALERT_UPDATED,
        ALERT_RESOLVED,
        REGISTRATION_RECORDED,
        SIGHTING_REPORTED,
        MATCH_PROPOSED,
        MATCH_WITHDRAWN,
        MATCH_REVIEWED,
        ALERT_REVIEW_DUE,
        ALERT_ERASED,
        REGISTRATION_ERASED,
        SIGHTING_ERASED,
    }
)

ALERTS = "kinlink.alerts"
REGISTRATIONS = "kinlink.registrations"
SIGHTINGS = "kinlink.sightings"
MATCHES = "kinlink.matches"
REVIEWS = "kinlink.reviews"
DLQ = "kinlink.dlq"

# Every version of an event type travels on the same topic as its predecessors.
_TOPIC_BY_TYPE_PREFIX = {
    f"{TYPE_PREFIX}alert.": ALERTS,
    f"{TYPE_PREFIX}registration.": REGISTRATIONS,
    f"{TYPE_PREFIX}sighting.": SIGHTINGS,
    f"{TYPE_PREFIX}match.proposed.": MATCHES,
    f"{TYPE_PREFIX}match.withdrawn.": MATCHES,
    f"{TYPE_PREFIX}match.reviewed.": REVIEWS,
}


def topic_for_type(ce_type: str) -> str:
    """The logical topic that carries a CloudEvents type."""
    for prefix, topic in _TOPIC_BY_TYPE_PREFIX.items():
        if ce_type.startswith(prefix):
            return topic
    raise KeyError(f"no topic carries events of type {ce_type}")


def dataschema_for(ce_type: str) -> str:
    """`org.kinlink.alert.published.v1` -> the $id of schemas/events/alert.published.v1.json."""
    return f"{SCHEMA_BASE}events/{ce_type.removeprefix(TYPE_PREFIX)}.json"
