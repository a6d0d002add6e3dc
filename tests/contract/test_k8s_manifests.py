"""The Kubernetes manifests (infra/k8s) checked statically: no cluster runs here.

Every document parses and is a kind we target at the version we target; the built-in kinds
validate against Kubernetes' own OpenAPI schemas (bundled by kubernetes-validate, offline);
each service gets exactly the variables its config reads, listens where its Service and probes
point, and its probes name routes it serves; topics and database roles match the code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from services.common.config import CommonSettings, database_sslmode
from services.common.keys import ensure_dev_keys
from services.common.production import production_refusals
from services.common.roles import OWNER_ROLE, role_in_url, service_role
from services.common.topics import load_topic_specs
from services.correlator.consumers import TOPICS as CORRELATOR_TOPICS
from services.devstack.k8s_topics import K8S_TOPICS_FILE, render

from .deployment import (
    K8S,
    SECRETS_FILE,
    SERVICES,
    all_manifests,
    container,
    documents,
    find,
    manifest_files,
    one,
    pod_environment,
    tool_reads,
)

KUBERNETES_VERSION = "1.33"
# (apiVersion, kind) pairs we target; anything else is a typo or an unplanned dependency.
KNOWN_KINDS = {
    ("v1", "Namespace"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("batch/v1", "Job"),
    ("kafka.strimzi.io/v1beta2", "Kafka"),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("kafka.strimzi.io/v1beta2", "KafkaUser"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
}
CUSTOM_GROUPS = ("kafka.strimzi.io/", "postgresql.cnpg.io/", "kustomize.config.k8s.io/")


def test_every_document_is_a_known_kind_with_a_name() -> None:
    seen = set()
    for path, doc in [*all_manifests(), (K8S / "kustomization.yaml", _kustomization())]:
        pair = (doc.get("apiVersion"), doc.get("kind"))
        assert pair in KNOWN_KINDS, f"{path.name}: unknown {pair}"
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"], path.name
            seen.add(pair)
    assert ("kafka.strimzi.io/v1beta2", "KafkaNodePool") in seen
    assert ("postgresql.cnpg.io/v1", "Cluster") in seen


@pytest.mark.parametrize(
    "path_and_doc",
    [
        pytest.param((path, doc), id=f"{path.name}:{doc['kind']}/{doc['metadata']['name']}")
        for path, doc in all_manifests()
        if not doc["apiVersion"].startswith(CUSTOM_GROUPS)
    ],
)
def test_built_in_kinds_validate_against_the_kubernetes_schema(
    path_and_doc: tuple[Path, dict[str, Any]],
) -> None:
    _, doc = path_and_doc
    # strict: an unknown or misspelt field is an error, not silently ignored by the API server
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_catches_a_misspelt_field() -> None:
    deployment = one("Deployment", "intake")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    container(broken)  # one container
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _kustomization() -> dict[str, Any]:
    return dict(yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8")))


def test_the_kustomization_lists_every_manifest_but_the_secrets() -> None:
    listed = _kustomization()["resources"]
    expected = {p.name for p in manifest_files()} - {SECRETS_FILE.name}
    assert sorted(listed) == sorted(expected)
    images = {image["name"] for image in _kustomization()["images"]}
    for deployment in find("Deployment"):
        assert container(deployment)["image"].split(":")[0] in images


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_gets_only_variables_its_config_reads(name: str) -> None:
    service = SERVICES[name]
    env = pod_environment(one("Deployment", name))
    unknown = sorted(set(env) - service.reads())
    assert not unknown, f"{name} does not read {unknown}"
    assert {"KINLINK_KAFKA_BOOTSTRAP", "KINLINK_DATABASE_URL"} <= set(env)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_listens_where_its_service_and_probes_point(name: str) -> None:
    service = SERVICES[name]
    deployment = one("Deployment", name)
    settings = service.settings.from_env(pod_environment(deployment))
    spec = container(deployment)
    assert spec["command"] == ["python", "-m", service.module]
    # In a pod the default 127.0.0.1 is unreachable from the kubelet and the Service.
    assert settings.host == "0.0.0.0"
    assert settings.port == service.default_port
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    assert ports == {"http": service.default_port}
    (service_port,) = one("Service", name)["spec"]["ports"]
    assert service_port["port"] == service.default_port
    assert service_port["targetPort"] in ("http", service.default_port)
    selector = one("Service", name)["spec"]["selector"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert spec[probe]["httpGet"]["port"] in ("http", service.default_port)


def _served_routes(name: str, env: dict[str, str], tmp_path: Path) -> set[str]:
    """GET routes of the service's real application, built from the manifest's environment
    (with a throw-away key in place of the mounted one)."""
    service = SERVICES[name]
    settings = service.settings.from_env(env)
    if hasattr(settings, "auth"):
        auth = dataclasses.replace(settings.auth, public_keys=ensure_dev_keys(tmp_path))
        settings = dataclasses.replace(settings, auth=auth)
    module = __import__(f"{service.module}.app", fromlist=["create_app"])
    app = module.create_app(settings)
    return {
        route.resource.canonical
        for route in app.router.routes()
        if route.method == "GET" and route.resource is not None
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_probes_name_routes_the_service_serves(name: str, tmp_path: Path) -> None:
    deployment = one("Deployment", name)
    spec = container(deployment)
    routes = _served_routes(name, pod_environment(deployment), tmp_path)
    assert spec["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert spec["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert spec["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert spec[probe]["httpGet"]["path"] in routes


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_runs_unprivileged_within_limits(name: str) -> None:
    deployment = one("Deployment", name)
    pod = deployment["spec"]["template"]["spec"]
    spec = container(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == _image_user()
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(spec["resources"][bound])
    # Longer than the service's own drain, so SIGKILL never cuts the outbox drain short.
    settings = SERVICES[name].settings.from_env(pod_environment(deployment))
    assert pod["terminationGracePeriodSeconds"] > settings.shutdown_grace_seconds
    # Every mounted volume exists, and files the config points at are on a mount.
    mounts = {m["mountPath"]: m["name"] for m in spec.get("volumeMounts", [])}
    assert set(mounts.values()) <= {v["name"] for v in pod.get("volumes", [])}
    for variable in ("KINLINK_AUTH_PUBLIC_KEYS", "KINLINK_AUTH_REVOKED_FILE"):
        path = pod_environment(deployment).get(variable)
        if path:
            assert any(path == m or path.startswith(m + "/") for m in mounts), variable


def _image_user() -> int:
    from .deployment import CONTAINERFILE

    users = [
        line.split()[1]
        for line in CONTAINERFILE.read_text(encoding="utf-8").splitlines()
        if line.startswith("USER ")
    ]
    return int(users[-1].split(":")[0])


def test_intake_and_notifier_scale_on_load_and_the_correlator_up_to_its_partitions() -> None:
    partitions = {spec.name: spec.partitions for spec in load_topic_specs()}
    for name in SERVICES:
        hpa = one("HorizontalPodAutoscaler", name)
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    # More correlators than partitions of its inputs would sit idle (each holds every alert).
    correlator = one("HorizontalPodAutoscaler", "correlator")
    assert correlator["spec"]["maxReplicas"] == min(partitions[t] for t in CORRELATOR_TOPICS)


def test_kafka_runs_in_kraft_mode_on_three_nodes_with_safe_replication() -> None:
    (kafka,) = find("Kafka")
    pools = find("KafkaNodePool")
    cluster = kafka["metadata"]["name"]
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == cluster for p in pools)
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    assert controllers == 3 and brokers == 3
    assert "zookeeper" not in kafka["spec"]
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3
    assert config["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False
    assert "topicOperator" in kafka["spec"]["entityOperator"]
    assert "userOperator" in kafka["spec"]["entityOperator"]  # or no KafkaUser gets a Secret
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    # The services' bootstrap is the Strimzi bootstrap Service on a TLS listener with SCRAM;
    # no listener takes plaintext or unauthenticated clients.
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert all(lst["tls"] and lst["authentication"]["type"] == "scram-sha-512"
               for lst in listeners)
    users = {u["metadata"]["name"]: u for u in find("KafkaUser")}
    for name in SERVICES:
        env = pod_environment(one("Deployment", name))
        assert env["KINLINK_KAFKA_BOOTSTRAP"] in {
            f"{cluster}-kafka-bootstrap:{lst['port']}" for lst in listeners
        }
        user = users[env["KINLINK_KAFKA_SASL_USERNAME"]]
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        # Least privilege on the brokers: the Kinlink topics, and only this service's groups.
        acls = {
            (acl["resource"]["type"], acl["resource"]["name"], acl["resource"]["patternType"])
            for acl in user["spec"]["authorization"]["acls"]
        }
        group = env.get(f"KINLINK_{name.upper()}_GROUP", f"kinlink-{name}")
        assert acls == {("topic", "kinlink.", "prefix"), ("group", f"kinlink-{name}", "prefix")}
        assert group.startswith(f"kinlink-{name}")
        # Strimzi puts the user's password in a Secret named after the user
        assert env["KINLINK_KAFKA_SASL_PASSWORD"] == f"<{user['metadata']['name']}/password>"


def test_the_committed_kafka_topics_are_the_generated_ones() -> None:
    committed = K8S_TOPICS_FILE.read_text(encoding="utf-8")
    assert committed == render(), "run `kinlink infra k8s-topics`"


def test_kafka_topics_match_the_topic_list() -> None:
    (kafka,) = find("Kafka")
    topics = {t["spec"]["topicName"]: t for t in documents(K8S_TOPICS_FILE)}
    specs = {spec.name: spec for spec in load_topic_specs()}
    assert set(topics) == set(specs)
    for name, spec in specs.items():
        topic = topics[name]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert topic["spec"]["partitions"] == spec.partitions
        assert topic["spec"]["replicas"] == 3
        config = topic["spec"]["config"]
        # Every config the list sets, on the cluster too (compaction bounds included).
        listed = {k: str(v) for k, v in config.items() if k != "min.insync.replicas"}
        assert listed == spec.configs()
        assert config["retention.ms"] == spec.retention_ms
        assert config["cleanup.policy"] == spec.cleanup_policy
        assert config["min.insync.replicas"] == 2


def _secret_values(name: str) -> dict[str, str]:
    (secret,) = [d for d in documents(SECRETS_FILE) if d["metadata"]["name"] == name]
    return dict(secret["stringData"])


def test_each_service_connects_as_its_own_role_to_the_database_cluster() -> None:
    (database,) = find("Cluster")
    initdb = database["spec"]["bootstrap"]["initdb"]
    roles = {role["name"]: role for role in database["spec"]["managed"]["roles"]}
    owner = initdb["owner"]
    assert owner == OWNER_ROLE and _secret_values(initdb["secret"]["name"])["username"] == owner
    for name in SERVICES:
        url = urlsplit(pod_environment(one("Deployment", name))["KINLINK_DATABASE_URL"])
        assert url.hostname == f"{database['metadata']['name']}-rw"
        assert url.path == f"/{initdb['database']}"
        # its own role (services.common.roles), neither the owner nor a superuser
        assert url.username == service_role(name) != owner
        role = roles[url.username]
        assert role["login"] is True and role["superuser"] is False
        assert role["createdb"] is False and role["createrole"] is False
        credentials = _secret_values(role["passwordSecret"]["name"])
        assert credentials == {"username": url.username, "password": url.password}
    # Nothing is created for a service role to own: the schemas come from the owner's migrations.
    assert not any("SCHEMA" in sql for sql in initdb["postInitApplicationSQL"])


def _init_container(deployment: dict[str, Any]) -> dict[str, Any]:
    (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
    return dict(init)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_migrations_run_as_the_owner_in_an_init_container_only(name: str) -> None:
    deployment = one("Deployment", name)
    init = _init_container(deployment)
    assert init["command"] == ["kinlink", "migrate", "--service", name]
    assert init["image"] == container(deployment)["image"]
    env = pod_environment({"spec": {"template": {"spec": {"containers": [init]}}}})
    # the service's own configuration (shared ConfigMap) and what `kinlink migrate` reads
    assert not sorted(set(env) - tool_reads() - SERVICES[name].reads())
    settings = CommonSettings.from_env(env)
    (secret,) = [e for e in init["env"] if e["name"] == "KINLINK_DATABASE_MIGRATION_URL"]
    ref = secret["valueFrom"]["secretKeyRef"]
    owner_url = urlsplit(_secret_values(ref["name"])[ref["key"]])
    assert owner_url.username == OWNER_ROLE
    # grants go to the role the service logs in as
    assert role_in_url(settings.database_url_for(name), name) == service_role(name)
    # the service's own container never holds the owner's credentials
    assert "KINLINK_DATABASE_MIGRATION_URL" not in pod_environment(deployment)
    assert init["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_runs_in_production_mode_with_tls_to_kafka_and_postgres(name: str) -> None:
    deployment = one("Deployment", name)
    env = pod_environment(deployment)
    settings = SERVICES[name].settings.from_env(env)
    common = settings.common
    assert common.environment == "production"
    assert common.kafka_security.protocol == "SASL_SSL"
    assert common.kafka_security.sasl_mechanism.startswith("SCRAM-")
    assert database_sslmode(common.database_url) == "verify-full"
    # nothing in the common settings that production refuses (the keys are the cluster's own)
    assert production_refusals(common, None, getattr(settings, "cors_origins", ())) == []
    # the CA files are mounted from the Secrets the operators create
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(deployment)["volumeMounts"]}
    for variable, secret in (("KINLINK_KAFKA_SSL_CAFILE", "kinlink-cluster-ca-cert"),
                             ("KINLINK_DATABASE_SSLROOTCERT", "kinlink-db-ca")):
        folder, _, file = env[variable].rpartition("/")
        volume = volumes[mounts[folder]]
        assert volume["secret"]["secretName"] == secret
        assert {"key": "ca.crt", "path": file} in volume["secret"]["items"]


def test_no_deployment_needs_a_migration_job() -> None:
    # Each service's init container migrates its schema as the owner (`kinlink migrate`),
    # serialised by an advisory lock (services.common.migrations): no separate Job.
    assert find("Job") == []


def test_the_generator_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from services.devstack.infra_cli import infra

    stale = tmp_path / "kafka-topics.yaml"
    stale.write_text(render().replace("partitions: 6", "partitions: 12", 1), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(infra, ["k8s-topics", "--check", "--out", str(stale)]).exit_code == 1
    assert runner.invoke(infra, ["k8s-topics", "--out", str(stale)]).exit_code == 0
    assert runner.invoke(infra, ["k8s-topics", "--check", "--out", str(stale)]).exit_code == 0
    assert stale.read_text(encoding="utf-8") == render()
