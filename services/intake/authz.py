"""Who may do what: the authorisation rules of intake as one table.

A grant gives an organisation kind (or a role) an action on records in a scope: `own` (records
of the caller's organisation only), `active` (the caller's own records, and other organisations'
records while they are active: alerts are shared across forces by design, as in SIS, but a
resolved alert of another force is no longer its business) or `any`. Anything not granted here
is refused (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.common.auth import AUDITOR_ROLE, Principal


class Scope(StrEnum):
    OWN = "own"
    ACTIVE = "active"
    ANY = "any"


_WIDTH = {Scope.OWN: 0, Scope.ACTIVE: 1, Scope.ANY: 2}


@dataclass(frozen=True)
class Grant:
    kind: str | None  # organisation kind the grant applies to, or None for a role grant
    role: str | None
    scope: Scope


def _kinds(scope: Scope, *kinds: str) -> tuple[Grant, ...]:
    return tuple(Grant(kind, None, scope) for kind in kinds)


RULES: dict[str, tuple[Grant, ...]] = {
    # police units publish and change only their own authority's alerts, and read every active
    # alert of every force (and its history); investigators read all
    "alert.create": _kinds(Scope.OWN, "police"),
    "alert.read": _kinds(Scope.ACTIVE, "police") + _kinds(Scope.ANY, "investigator"),
    "alert.list": _kinds(Scope.ACTIVE, "police") + _kinds(Scope.ANY, "investigator"),
    "alert.update": _kinds(Scope.OWN, "police"),
    "alert.resolve": _kinds(Scope.OWN, "police"),
    # reception centres record the children they take in and read their own records
    "registration.create": _kinds(Scope.OWN, "reception_centre"),
    "registration.read": _kinds(Scope.OWN, "reception_centre") + _kinds(Scope.ANY, "investigator"),
    # police, NGOs and hotlines report sightings and read their own reports
    "sighting.create": _kinds(Scope.OWN, "police", "ngo", "hotline"),
    "sighting.read": _kinds(Scope.OWN, "police", "ngo", "hotline")
    + _kinds(Scope.ANY, "investigator"),
    # PFIF export (interchange with family-tracing systems): police their own records,
    # investigators all; imports go through the create rules of the record kind they make
    "pfif.export": _kinds(Scope.OWN, "police") + _kinds(Scope.ANY, "investigator"),
    # the audit log is read by holders of the auditor role, whatever their organisation
    "audit.read": (Grant(None, AUDITOR_ROLE, Scope.ANY),),
}


def allowed_scope(principal: Principal, action: str) -> Scope | None:
    """The widest scope the caller holds for `action`, or None if it is not allowed at all."""
    best: Scope | None = None
    for grant in RULES[action]:
        kind_ok = grant.kind is None or grant.kind == principal.org_kind
        role_ok = grant.role is None or principal.has_role(grant.role)
        if kind_ok and role_ok and (best is None or _WIDTH[grant.scope] > _WIDTH[best]):
            best = grant.scope
    return best


def may_touch(
    principal: Principal, scope: Scope, record_org: str, status: str | None = None
) -> bool:
    """Whether a record of `record_org` (an alert: with its `status`) is within the scope the
    caller was granted."""
    if scope is Scope.ANY or record_org == principal.org:
        return True
    return scope is Scope.ACTIVE and status == "active"
