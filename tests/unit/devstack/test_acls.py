"""The ACLs a service account gets: the Kinlink topics under its prefix and its own groups."""

from __future__ import annotations

from services.devstack.acls import CREATE, GROUP, READ, TOPIC, WRITE, service_bindings


def test_a_service_account_gets_its_topics_and_groups_and_nothing_else() -> None:
    bindings = service_bindings("User:kinlink", topic_prefix="eu.")
    assert {(b.resource_type, b.prefix) for b in bindings} == {
        (TOPIC, "eu.kinlink."),
        (GROUP, "kinlink-"),
    }
    assert {b.principal for b in bindings} == {"User:kinlink"}
    topic_ops = {b.operation for b in bindings if b.resource_type == TOPIC}
    assert {READ, WRITE, CREATE} <= topic_ops
    without_create = service_bindings("User:kinlink", create=False)
    assert CREATE not in {b.operation for b in without_create}
