"""The authorisation table: who may do what, and to whose records."""

from __future__ import annotations

import pytest

from services.common.auth import Principal
from services.intake.authz import RULES, Scope, allowed_scope, may_touch

KINDS = ["police", "reception_centre", "ngo", "hotline", "investigator", "auditor"]

# action -> {kind: scope}; kinds not listed are refused
EXPECTED: dict[str, dict[str, Scope]] = {
    "alert.create": {"police": Scope.OWN},
    "alert.read": {"police": Scope.ACTIVE, "investigator": Scope.ANY},
    "alert.list": {"police": Scope.ACTIVE, "investigator": Scope.ANY},
    "alert.update": {"police": Scope.OWN},
    "alert.resolve": {"police": Scope.OWN},
    "registration.create": {"reception_centre": Scope.OWN},
    "registration.read": {"reception_centre": Scope.OWN, "investigator": Scope.ANY},
    "sighting.create": {"police": Scope.OWN, "ngo": Scope.OWN, "hotline": Scope.OWN},
    "sighting.read": {
        "police": Scope.OWN,
        "ngo": Scope.OWN,
        "hotline": Scope.OWN,
        "investigator": Scope.ANY,
    },
    "pfif.export": {"police": Scope.OWN, "investigator": Scope.ANY},
    "audit.read": {},  # a role, not a kind: see below
}


def caller(kind: str, org: str = "org-a", roles: frozenset[str] = frozenset()) -> Principal:
    return Principal(subject="s", org=org, org_kind=kind, country="ITA", roles=roles)


def test_every_action_is_in_the_table() -> None:
    assert set(RULES) == set(EXPECTED)


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("kind", KINDS)
def test_kind_gets_exactly_its_scope(action: str, kind: str) -> None:
    assert allowed_scope(caller(kind), action) == EXPECTED[action].get(kind)


def test_audit_log_needs_the_auditor_role_whatever_the_kind() -> None:
    assert allowed_scope(caller("auditor", roles=frozenset({"auditor"})), "audit.read") is Scope.ANY
    assert allowed_scope(caller("police", roles=frozenset({"auditor"})), "audit.read") is Scope.ANY
    assert allowed_scope(caller("auditor"), "audit.read") is None


def test_own_scope_stops_at_the_organisation() -> None:
    police = caller("police", org="it-ps-imperia")
    assert may_touch(police, Scope.OWN, "it-ps-imperia")
    assert not may_touch(police, Scope.OWN, "fr-pn-nice")
    assert may_touch(caller("investigator"), Scope.ANY, "fr-pn-nice")


def test_active_scope_shares_active_records_of_other_organisations_only() -> None:
    police = caller("police", org="it-ps-imperia")
    assert may_touch(police, Scope.ACTIVE, "fr-pn-nice", "active")
    assert not may_touch(police, Scope.ACTIVE, "fr-pn-nice", "resolved")
    assert may_touch(police, Scope.ACTIVE, "it-ps-imperia", "resolved")
    assert not may_touch(police, Scope.OWN, "fr-pn-nice", "active")
