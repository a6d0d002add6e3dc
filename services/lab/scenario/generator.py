"""Generate a scenario: registrations, sightings and alerts of synthetic children, with truth.

Deterministic by seed. A fraction of children go missing from a reception centre where a
careful registration exists; the authority of that country publishes an alert built from
that record. Everything observed after that moment in other places is a true match of
the alert; everything else (earlier records, other children) is a distractor.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .events import AUTHORITIES, build_centres, cloudevent, new_uuid, reporter, rfc3339
from .model import Child, Scenario, TruthRecord
from .noise_names import GOOD, NORMAL, SIGHTING, mother_name, spell
from .noise_person import render_person, sparse_sighting
from .population import Unit, build_population
from .profiles import current, using
from .record_extras import add_to_alert, add_to_registration, add_to_sighting
from .routes import Stay, jitter

_CIRCUMSTANCES = (
    "Did not return to the reception centre after evening curfew.",
    "Left the centre at night with other residents; believed to be travelling north.",
    "Absent at morning roll call; belongings gone.",
    "Left during a transfer between centres.",
    "Seen leaving with an unknown adult near the station.",
)


@dataclass
class _Built:
    """Events and truth accumulated while generating."""

    seed: int
    rng: random.Random
    events: list[tuple[datetime, int, dict[str, Any]]] = field(default_factory=list)
    truth: list[TruthRecord] = field(default_factory=list)

    def emit(self, fact: str, time: datetime, subject: str, data: dict[str, Any]) -> None:
        event = cloudevent(self.rng, self.seed, fact, time, subject, data)
        self.events.append((time, len(self.events), event))


@dataclass
class _Seen:
    """One child's observations, kept to place alert updates and resolutions."""

    registrations: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    sightings: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _compact(person: dict[str, Any]) -> dict[str, Any]:
    """A sighting's partial Person: only what the reporter actually said."""
    return {k: v for k, v in person.items() if v not in (None, [], "")}


def _observe_stay(
    b: _Built, child: Child, stay: Stay, centre: dict[str, Any], *,
    register: bool, good: bool, alias_rate: float, seen: _Seen,
) -> dict[str, Any] | None:
    """Registration (if any) and sightings of one child during one stay.

    Returns the registration's data, if there was one."""
    rng = b.rng
    days = (stay.departure - stay.arrival).total_seconds() / 86400
    registration: dict[str, Any] | None = None
    if register:
        at = stay.arrival + timedelta(days=rng.uniform(0.05, max(min(3.0, 0.4 * days), 0.1)))
        person, script = render_person(rng, child, at, GOOD if good else NORMAL, alias_rate)
        rid = new_uuid(rng)
        add_to_registration(person, b.seed, child, rid, at, careful=good)
        registration = {
            "registration_id": rid, "centre": {"id": centre["id"], "country": centre["country"]},
            "registered_at": rfc3339(at), "location": dict(centre["location"]), "child": person,
            "accompanied": rng.random() < 0.08,
        }
        b.emit("registration.recorded", at, rid, registration)
        b.truth.append(TruthRecord("registration", rid, child.child_id, script, child.origin,
                                   rfc3339(at)))
        seen.registrations.append((at, registration))
    for _ in range(_poisson(rng, min(0.3 + 0.03 * days, 2.0))):
        at = stay.arrival + timedelta(seconds=rng.uniform(0, days * 86400))
        who = reporter(rng, stay.stop.country, stay.stop.place)
        radius = 3.0 if who["kind"] in ("police", "ngo") else 8.0
        lat, lon = jitter(rng, stay.stop.lat, stay.stop.lon, radius)
        if rng.random() < current().sparse_sighting:
            person, script = sparse_sighting(rng, child, at), "Latn"
        else:
            person, script = render_person(rng, child, at, SIGHTING, alias_rate)
        sid = new_uuid(rng)
        add_to_sighting(person, b.seed, child, sid, at)
        sighting = {
            "sighting_id": sid, "reporter": who, "observed_at": rfc3339(at),
            "location": {"lat": lat, "lon": lon, "place": stay.stop.place,
                         "country": stay.stop.country},
            "child": _compact(person),
        }
        b.emit("sighting.reported", at + timedelta(minutes=rng.uniform(5, 240)), sid, sighting)
        b.truth.append(TruthRecord("sighting", sid, child.child_id, script, child.origin,
                                   rfc3339(at)))
        seen.sightings.append((at, sighting))
    return registration


def _alert_child(rng: random.Random, child: Child, record: dict[str, Any]) -> dict[str, Any]:
    """The alert's Person: the centre's careful record, with parents' names added by the issuer."""
    person: dict[str, Any] = copy.deepcopy(record["child"])
    if person.get("father_name") is None and rng.random() < 0.7:
        person["father_name"] = spell(rng, child.father, child.origin, GOOD)
    if person.get("mother_name") is None and rng.random() < 0.5:
        person["mother_name"] = mother_name(rng, child, GOOD)
    return person


def _publish_alert(
    b: _Built, child: Child, alert_id: str, linked: list[str], record: dict[str, Any],
    stay: Stay, script: str, seen: _Seen,
) -> None:
    rng = b.rng
    last_seen = stay.departure
    published = last_seen + timedelta(hours=rng.uniform(2, 48))
    country = record["centre"]["country"]
    data: dict[str, Any] = {
        "alert_id": alert_id,
        "issuing_authority": {"id": AUTHORITIES[country], "country": country},
        "status": "active",
        "category": rng.choices(("missing_protected", "exploitation_risk", "missing"),
                                (80, 15, 5))[0],
        "case_type": "unaccompanied_migrant",
        "risk_level": rng.choice(("medium", "high", "high", "critical")),
        "child": _alert_child(rng, child, record),
        "last_seen": {"at": rfc3339(last_seen), "location": dict(record["location"])},
        "circumstances": rng.choice(_CIRCUMSTANCES),
    }
    add_to_alert(data["child"], b.seed, child, alert_id, last_seen)
    if linked:
        data["linked_alert_ids"] = linked
    b.emit("alert.published", published, alert_id, data)
    b.truth.append(TruthRecord("alert", alert_id, child.child_id, script, child.origin,
                               rfc3339(last_seen)))
    latest = published
    if rng.random() < 0.25:
        later = [s for t, s in seen.sightings
                 if t > last_seen and s["reporter"]["kind"] == "police"]
        if later:
            # Police tell the issuer about a later sighting: last seen moves along the route.
            sighting = rng.choice(later)
            changes: dict[str, Any] = {"last_seen": {"at": sighting["observed_at"],
                                                     "location": dict(sighting["location"])}}
            at = _parse(sighting["observed_at"]) + timedelta(hours=rng.uniform(6, 72))
        else:
            person = copy.deepcopy(data["child"])
            person["mother_name"] = mother_name(rng, child, GOOD)
            changes, at = {"child": person}, last_seen + timedelta(days=rng.uniform(2, 20))
        at = max(at, published + timedelta(hours=1))
        b.emit("alert.updated", at, alert_id,
               {"alert_id": alert_id, "at": rfc3339(at), "changes": changes})
        latest = at
    if rng.random() < 0.15:
        observed = [t for t, _ in seen.registrations + seen.sightings]
        # Resolved only after the child's last observation, so no true pair follows it.
        at = max([latest, *observed]) + timedelta(days=rng.uniform(1, 10))
        resolution = "found" if rng.random() < 0.85 else "withdrawn"
        b.emit("alert.resolved", at, alert_id,
               {"alert_id": alert_id, "resolution": resolution, "at": rfc3339(at)})


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _missing_index(rng: random.Random, stays: list[Stay]) -> int:
    """Children disappear mostly from the centres where they stay long."""
    options = range(len(stays) - 1)
    return rng.choices(list(options), [stays[i].stop.median_stay_days for i in options])[0]


def _choose_alerted(rng: random.Random, units: list[Unit], target: int) -> set[int]:
    eligible = [i for i, u in enumerate(units) if len(u.stays) >= 2]
    rng.shuffle(eligible)
    chosen: set[int] = set()
    count = 0
    for i in eligible:
        if count >= target:
            break
        if count + len(units[i].members) > target + 1:
            continue
        chosen.add(i)
        count += len(units[i].members)
    return chosen


def generate_scenario(
    seed: int,
    children: int = 600,
    alert_fraction: float | None = None,
    noise: str = "routes",
    *,
    on_children: Callable[[int], None] | None = None,
) -> Scenario:
    """A scenario of `children` children, about `alert_fraction` of them alerted as missing
    (by default the noise model's share), with the named noise model ("routes" or "other").
    `on_children`, when given, hears how many more children have been generated (progress)."""
    with using(noise) as profile:
        fraction = profile.alert_fraction if alert_fraction is None else alert_fraction
        return _generate(seed, children, fraction, on_children)


def _generate(
    seed: int, children: int, alert_fraction: float, on_children: Callable[[int], None] | None
) -> Scenario:
    rng = random.Random(seed)
    centres = build_centres(rng)
    units = build_population(rng, children)
    alerted = _choose_alerted(rng, units, round(alert_fraction * children))
    b = _Built(seed, rng)
    for index, unit in enumerate(units):
        missing_at = _missing_index(rng, unit.stays) if index in alerted else None
        alert_ids = [new_uuid(rng) for _ in unit.members] if missing_at is not None else []
        # A unit stays together, so its members are registered by the same centre.
        unit_centres = [rng.choice(centres[stay.stop.place]) for stay in unit.stays]
        for n, child in enumerate(unit.members):
            seen = _Seen()
            good_record: dict[str, Any] | None = None
            for i, stay in enumerate(unit.stays):
                is_centre = i == missing_at
                after = missing_at is not None and i > missing_at
                rate = stay.stop.register_rate * (0.8 if after else 1.0)
                record = _observe_stay(
                    b, child, stay, unit_centres[i],
                    register=is_centre or rng.random() < rate, good=is_centre,
                    alias_rate=0.02 if after else 0.005, seen=seen,
                )
                if is_centre:
                    good_record = record
            if missing_at is not None and good_record is not None:
                script = b.truth[_truth_index(b, good_record["registration_id"])].script
                linked = [a for m, a in enumerate(alert_ids) if m != n]
                _publish_alert(b, child, alert_ids[n], linked, good_record,
                               unit.stays[missing_at], script, seen)
        if on_children is not None:
            on_children(len(unit.members))
    b.events.sort(key=lambda item: (item[0], item[1]))
    return Scenario(seed=seed, events=[e for _, _, e in b.events], truth=b.truth)


def _truth_index(b: _Built, record_id: str) -> int:
    for i in range(len(b.truth) - 1, -1, -1):
        if b.truth[i].id == record_id:
            return i
    raise KeyError(record_id)
