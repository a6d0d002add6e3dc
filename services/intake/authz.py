"""Who may do what: the authorisation rules of intake as one table.

A grant gives an organisation kind (or a role) an action on records in a scope: `own` (records
of the caller's organisation only) or `any`. Anything not granted here is refused (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.common.auth import AUDITOR_ROLE, Principal


class Scope(StrEnum):
    OWN = "own"
    ANY = "any"


@dataclass(frozen=True)
class Grant:
    kind: str | None  # organisation kind the grant applies to, or None for a role grant
    role: str | None
    scope: Scope


def _kinds(scope: Scope, *kinds: str) -> tuple[Grant, ...]:
    return tuple(Grant(kind, None, scope) for kind in kinds)


RULES: dict[str, tuple[Grant, ...]] = {
    # police units publish and manage only their own authority's alerts; investigators read all
    "alert.create": _kinds(Scope.OWN, "police"),
    "alert.read": _kinds(Scope.OWN, "police") + _kinds(Scope.ANY, "investigator"),
    "alert.list": _kinds(Scope.OWN, "police") + _kinds(Scope.ANY, "investigator"),
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
        if kind_ok and role_ok:
            if grant.scope is Scope.ANY:
                return Scope.ANY
            best = Scope.OWN
    return best


def may_touch(principal: Principal, scope: Scope, record_org: str) -> bool:
    """Whether a record of `record_org` is within the scope the caller was granted."""
    return scope is Scope.ANY or record_org == principal.org
