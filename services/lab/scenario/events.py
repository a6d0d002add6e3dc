"""Structured-mode CloudEvents for the scenario, and the organisations that publish them."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from services.common.catalog import TYPE_PREFIX
from services.common.envelope import new_event, to_structured

from .routes import STOPS, jitter

# One issuing police authority per country (the SIRENE-facing unit).
AUTHORITIES: dict[str, str] = {
    "ITA": "it-ps-sirene",
    "FRA": "fr-pn-ocrvp",
    "GRC": "gr-hp-sirene",
    "MKD": "mk-mvr-police",
    "SRB": "rs-mup-police",
    "HUN": "hu-orfk-sirene",
    "HRV": "hr-mup-sirene",
    "AUT": "at-bk-sirene",
    "DEU": "de-bka-sirene",
    "ESP": "es-pn-sirene",
}
HOTLINES: dict[str, str] = {
    "ITA": "it-hotline-116000",
    "FRA": "fr-hotline-116000",
    "GRC": "gr-hotline-116000",
    "MKD": "mk-hotline-116000",
    "SRB": "rs-hotline-116000",
    "HUN": "hu-hotline-116000",
    "HRV": "hr-hotline-116000",
    "AUT": "at-hotline-116000",
    "DEU": "de-hotline-116000",
    "ESP": "es-hotline-116000",
}


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from the scenario's generator, so ids repeat with the seed."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rfc3339(at: datetime) -> str:
    """UTC timestamp with seconds precision and a Z suffix."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def cloudevent(
    rng: random.Random, seed: int, fact: str, time: datetime, subject: str, data: dict[str, Any]
) -> dict[str, Any]:
    """A structured-mode CloudEvent 1.0 of type org.kinlink.<fact>.v1 (fact = entity.fact)."""
    event = new_event(
        f"{TYPE_PREFIX}{fact}.v1",
        f"/kinlink/scenario/{seed}",
        subject,
        data,
        time=time.astimezone(UTC).replace(microsecond=0),
        event_id=new_uuid(rng),
    )
    return to_structured(event)


def build_centres(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Reception centres at each stop: id, country, name and a fixed location near the town."""
    centres: dict[str, list[dict[str, Any]]] = {}
    for place, stop in STOPS.items():
        slug = place.lower()
        entries = []
        for n in range(1, rng.randint(1, 3) + 1):
            lat, lon = jitter(rng, stop.lat, stop.lon, 4.0)
            entries.append(
                {
                    "id": f"{stop.country.lower()}-reception-{slug}-{n}",
                    "country": stop.country,
                    "location": {
                        "lat": lat,
                        "lon": lon,
                        "place": f"{place}, reception centre {n}",
                        "country": stop.country,
                    },
                }
            )
        centres[place] = entries
    return centres


def reporter(rng: random.Random, country: str, place: str) -> dict[str, str]:
    """Who reports a sighting: police, NGO outreach teams, the 116 000 hotline, the public."""
    kind = rng.choices(("police", "ngo", "hotline", "public"), (35, 35, 15, 15))[0]
    if kind == "police":
        ident = f"{country.lower()}-police-{place.lower()}"
    elif kind == "ngo":
        ident = f"{country.lower()}-ngo-outreach-{rng.randint(1, 3)}"
    elif kind == "hotline":
        ident = HOTLINES[country]
    else:
        ident = f"{country.lower()}-public-webform"
    return {"id": ident, "kind": kind}
