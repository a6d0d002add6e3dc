"""Subscription filters: read from their JSON form, written back, and applied to a match.

A police unit's subscription only ever concerns its own alerts, whatever its filters say: the
unit sees other forces' alerts in intake, but is notified of matches on its own.
"""

from __future__ import annotations

from typing import Any

from services.common.geo import distance_km
from services.notifier.domain.model import AlertContext, Filters, ObservationContext, Region

_LISTS = ("issuing_countries", "issuing_authorities", "categories", "alert_ids",
          "observation_types")  # fmt: skip


def filters_from_json(raw: dict[str, Any]) -> Filters:
    """Filters from a request body already validated against its JSON Schema."""
    region = raw.get("region")
    parsed_region = None
    if isinstance(region, dict):
        if "bbox" in region:
            west, south, east, north = (float(x) for x in region["bbox"])
            parsed_region = Region(bbox=(west, south, east, north))
        else:
            centre = region["centre"]
            parsed_region = Region(
                centre=(float(centre["lat"]), float(centre["lon"])),
                radius_km=float(region["radius_km"]),
            )
    lists = {name: tuple(str(x) for x in raw.get(name, ())) for name in _LISTS}
    min_score = raw.get("min_score")
    return Filters(
        **lists,
        min_score=float(min_score) if min_score is not None else None,
        region=parsed_region,
    )


def filters_to_json(filters: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {name: list(getattr(filters, name)) for name in _LISTS}
    out = {name: values for name, values in out.items() if values}
    if filters.min_score is not None:
        out["min_score"] = filters.min_score
    region = filters.region
    if region is not None and region.bbox is not None:
        out["region"] = {"bbox": list(region.bbox)}
    elif region is not None and region.centre is not None:
        lat, lon = region.centre
        out["region"] = {"centre": {"lat": lat, "lon": lon}, "radius_km": region.radius_km}
    return out


def accepts(
    filters: Filters,
    alert: AlertContext,
    observation: ObservationContext,
    score: float | None,
) -> bool:
    """Whether a match of `alert` and `observation` scoring `score` passes every filter."""
    checks = (
        (filters.issuing_countries, alert.country),
        (filters.issuing_authorities, alert.authority_id),
        (filters.categories, alert.category),
        (filters.alert_ids, alert.alert_id),
        (filters.observation_types, observation.obs_type),
    )
    if any(allowed and value not in allowed for allowed, value in checks):
        return False
    if filters.min_score is not None and (score is None or score < filters.min_score):
        return False
    return filters.region is None or in_region(filters.region, observation.seen.point)


def in_region(region: Region, point: tuple[float, float] | None) -> bool:
    """Whether the observation's place lies in the region (an unknown place does not)."""
    if point is None:
        return False
    lat, lon = point
    if region.bbox is not None:
        west, south, east, north = region.bbox
        # A box whose west edge is east of its east edge crosses the antimeridian.
        in_lon = west <= lon <= east if west <= east else lon >= west or lon <= east
        return south <= lat <= north and in_lon
    if region.centre is None or region.radius_km is None:
        return False
    return distance_km(region.centre, point) <= region.radius_km
