"""infra/compose.yaml checked statically (no Docker here): the services get only variables
their config reads, listen where the ports and health checks point, the topics job creates the
topic list, and the demo is wired to the running services with the shared development key."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

from services.common.config import CommonSettings
from services.demo.command import demo
from services.devstack.infra_cli import infra
from services.devstack.paths import REPO_ROOT

from .deployment import COMPOSE_FILE, CONTAINERFILE, SERVICES, tool_reads

_URL = re.compile(r"https?://[^'\" ]+")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")))


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def _kinlink_containers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if s.get("image") == "kinlink:0.1.0"}


def test_every_kinlink_container_is_built_from_the_containerfile(compose: dict[str, Any]) -> None:
    containers = _kinlink_containers(compose)
    assert set(SERVICES) | {"keys", "topics", "demo"} <= set(containers)
    for service in containers.values():
        build = service["build"]
        assert (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).resolve() == (
            CONTAINERFILE.resolve()
        )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_gets_only_variables_its_config_reads(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    env = _env(service)
    assert not sorted(set(env) - SERVICES[name].reads())
    assert service["command"] == ["python", "-m", SERVICES[name].module]
    settings = SERVICES[name].settings.from_env(env)
    assert settings.host == "0.0.0.0"
    assert settings.common.kafka_bootstrap == "kafka:9092"
    assert urlsplit(settings.common.database_url).hostname == "postgres"


def test_each_service_connects_as_its_own_role_after_the_owner_migrated(
    compose: dict[str, Any],
) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["kinlink", "migrate", "--provision"]
    job = CommonSettings.from_env(_env(migrate))
    assert urlsplit(job.database_migration_url or "").username == "kinlink_owner"
    for name in SERVICES:
        service = compose["services"][name]
        url = urlsplit(SERVICES[name].settings.from_env(_env(service)).common.database_url)
        assert url.username == f"kinlink_{name}"  # neither postgres nor the owner
        # the migrate job creates the role with the password the service logs in with
        assert job.database_url_for(name) == urlunsplit(url)
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_jobs_and_demo_get_only_variables_the_command_reads(compose: dict[str, Any]) -> None:
    for name in ("keys", "topics", "demo", "migrate"):
        env = _env(compose["services"][name])
        assert not sorted(set(env) - tool_reads()), name


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_and_health_checks_point_at_the_service(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    port = SERVICES[name].default_port
    assert SERVICES[name].settings.from_env(_env(service)).port == port
    assert service["ports"] == [f"{port}:{port}"]
    (url,) = _URL.findall(" ".join(service["healthcheck"]["test"]))
    parts = urlsplit(url)
    assert (parts.hostname, parts.port, parts.path) == ("127.0.0.1", port, "/readyz")
    for needed in ("postgres", "keys", "topics"):
        assert needed in service["depends_on"]


def test_kafka_is_one_kraft_node_that_never_creates_topics_by_itself(
    compose: dict[str, Any],
) -> None:
    kafka = compose["services"]["kafka"]
    env = _env(kafka)
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in kafka and "healthcheck" in compose["services"]["postgres"]


def test_the_topics_job_runs_the_command_that_creates_the_topic_list(
    compose: dict[str, Any],
) -> None:
    topics = compose["services"]["topics"]
    assert topics["command"] == ["kinlink", "infra", "topics"]
    assert "topics" in infra.commands  # creates load_topic_specs() (integration-tested)
    assert _env(topics)["KINLINK_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_the_services_verify_with_the_key_the_demo_signs_with(compose: dict[str, Any]) -> None:
    services = compose["services"]
    key_dir = _env(services["keys"])["KINLINK_CACHE_DIR"] + "/auth"
    for name in ("intake", "notifier"):
        assert _env(services[name])["KINLINK_AUTH_PUBLIC_KEYS"] == f"{key_dir}/dev.pub.pem"
    assert _env(services["demo"])["KINLINK_AUTH_PRIVATE_KEY"] == f"{key_dir}/dev.pem"
    for name in ("keys", "intake", "notifier", "demo"):
        assert any(v.endswith(":/var/lib/kinlink") for v in services[name]["volumes"])


def test_the_demo_uses_the_running_services(compose: dict[str, Any]) -> None:
    service = compose["services"]["demo"]
    argv = service["command"]
    assert argv[:2] == ["kinlink", "demo"]
    context = demo.make_context("demo", list(argv[2:]))
    assert urlsplit(context.params["intake_url"]).netloc == "intake:8080"
    assert urlsplit(context.params["notifier_url"]).netloc == "notifier:8090"
    for name in SERVICES:
        assert service["depends_on"][name]["condition"] == "service_healthy"


def test_the_image_carries_what_the_services_read_from_the_source_tree() -> None:
    text = CONTAINERFILE.read_text(encoding="utf-8")
    copied = {
        line.split()[1]
        for line in text.splitlines()
        if line.startswith("COPY ") and "--from" not in line
    }
    assert {"services", "schemas", "infra/kafka/topics.yaml"} <= copied
    assert "pip install -e ." in text  # schemas/ and static files resolve beside the source
    lines = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not {"services", "schemas", "infra", "pyproject.toml"} & set(ignored)
