"""`kinlink infra ...`: what deployments outside the local stack need from the topic list.

- `kinlink infra k8s-topics [--check]` writes (or checks) the Strimzi KafkaTopic resources
  generated from infra/kafka/topics.yaml.
- `kinlink infra topics` creates the topics of that list on KINLINK_KAFKA_BOOTSTRAP (with
  KINLINK_TOPIC_PREFIX), as compose does before the services start, and sets the list's configs
  on topics that exist with other values (retention, cleanup policy, compaction bounds);
  idempotent. It reaches the
  cluster with the services' KINLINK_KAFKA_SECURITY_PROTOCOL / _SSL_* / _SASL_* settings.
- `kinlink infra acls User:NAME` allows a service account the Kinlink topics and its consumer
  groups, on a cluster with an authorizer (services.devstack.acls).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

import click

from services.common.config import CommonSettings
from services.common.topics import load_topic_specs, sync_topics
from services.devstack.acls import grant, service_bindings
from services.devstack.k8s_topics import K8S_TOPICS_FILE, render


@click.group()
def infra() -> None:
    """Deployment helpers: Kubernetes topic resources, topic creation on a broker."""


@infra.command("k8s-topics")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=K8S_TOPICS_FILE,
    show_default=True,
    help="Where to write the KafkaTopic resources.",
)
@click.option("--check", is_flag=True, help="Only check that the file is up to date (exit 1).")
def k8s_topics(out: Path, check: bool) -> None:
    """Write the Strimzi KafkaTopic resources generated from infra/kafka/topics.yaml."""
    text = render()
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            click.echo(f"{out} is out of date: run `kinlink infra k8s-topics`", err=True)
            sys.exit(1)
        click.echo(f"{out} is up to date")
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


@infra.command("topics")
@click.option("--replication-factor", type=int, default=None, help="Override the list's.")
@click.option("--min-insync-replicas", type=int, default=None, help="Set on every topic.")
def topics(replication_factor: int | None, min_insync_replicas: int | None) -> None:
    """Create the missing topics of infra/kafka/topics.yaml on KINLINK_KAFKA_BOOTSTRAP and set
    the list's configs on existing topics where they differ."""
    settings = CommonSettings.from_env()
    specs = load_topic_specs()
    if replication_factor is not None:
        specs = [dataclasses.replace(s, replication_factor=replication_factor) for s in specs]
    if min_insync_replicas is not None:
        specs = [dataclasses.replace(s, min_insync_replicas=min_insync_replicas) for s in specs]
    done = asyncio.run(
        sync_topics(
            settings.kafka_bootstrap,
            specs,
            settings.topic_prefix,
            settings.kafka_client_options(),
        )
    )
    for spec in specs:
        name = settings.topic(spec.name)
        if name in done.created:
            state = "created"
        elif name in done.altered:
            state = "exists, configs set: " + ", ".join(done.altered[name])
        else:
            state = "exists"
        click.echo(f"  {name:<28} {state}")


@infra.command("acls")
@click.argument("principal")
@click.option("--group-prefix", default="kinlink-", show_default=True, help="Its groups' prefix.")
@click.option("--no-create", is_flag=True, help="No right to create topics (services need none).")
def acls(principal: str, group_prefix: str, no_create: bool) -> None:
    """Allow PRINCIPAL (e.g. User:kinlink) the Kinlink topics and its own consumer groups on
    KINLINK_KAFKA_BOOTSTRAP (connect as a super user: KINLINK_KAFKA_SASL_* of an admin)."""
    settings = CommonSettings.from_env()
    bindings = service_bindings(
        principal, settings.topic_prefix, group_prefix, create=not no_create
    )
    asyncio.run(grant(settings.kafka_bootstrap, bindings, settings.kafka_client_options()))
    for binding in bindings:
        click.echo(f"  allowed {binding.describe()}")
