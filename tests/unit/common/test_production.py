"""KINLINK_ENV=production refuses development defaults, naming the setting; the TLS and SASL
settings reach the Kafka clients and the PostgreSQL URL; CORS only for listed origins."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.auth import AuthSettings
from services.common.config import CommonSettings, KafkaSecurity, database_sslmode
from services.common.cors import CORS_ORIGINS, cors_headers, parse_origins, preflight
from services.common.production import production_refusals
from services.notifier.config import NotifierSettings

ROOT = Path(__file__).resolve().parents[3]


def _own_keys(folder: Path) -> AuthSettings:
    key = Ed25519PrivateKey.generate()
    private = folder / "prod-2025.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return AuthSettings(public_keys=private, private_key=private)


def _production_env(tmp_path: Path) -> dict[str, str]:
    auth = _own_keys(tmp_path)
    return {
        "KINLINK_ENV": "production",
        "KINLINK_AUTH_PUBLIC_KEYS": str(auth.public_keys),
        "KINLINK_KAFKA_BOOTSTRAP": "kafka-1.example:9093",
        "KINLINK_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KINLINK_KAFKA_SASL_USERNAME": "intake",
        "KINLINK_KAFKA_SASL_PASSWORD": "s3cret pass",
        "KINLINK_DATABASE_URL": "postgresql://intake@db.example/kinlink",
        "KINLINK_DATABASE_SSLMODE": "verify-full",
        "KINLINK_DATABASE_SSLROOTCERT": "/etc/kinlink/pg-ca.pem",
    }


def test_a_complete_production_configuration_is_accepted(tmp_path: Path) -> None:
    settings = NotifierSettings.from_env(_production_env(tmp_path))
    assert production_refusals(settings.common, settings.auth, settings.cors_origins) == []
    url = settings.common.database_url
    assert "sslmode=verify-full" in url and "sslrootcert=%2Fetc%2Fkinlink%2Fpg-ca.pem" in url


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"KINLINK_AUTH_PUBLIC_KEYS": ""}, "KINLINK_AUTH_PUBLIC_KEYS"),
        ({"KINLINK_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}, "KINLINK_KAFKA_SECURITY_PROTOCOL"),
        ({"KINLINK_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "KINLINK_KAFKA_SECURITY_PROTOCOL"),
        ({"KINLINK_DATABASE_SSLMODE": ""}, "KINLINK_DATABASE_SSLMODE"),
        ({"KINLINK_DATABASE_SSLMODE": "prefer"}, "KINLINK_DATABASE_SSLMODE"),
        ({"KINLINK_CORS_ORIGINS": "https://a.example, *"}, "KINLINK_CORS_ORIGINS"),
        ({"KINLINK_ENV": "prod"}, "KINLINK_ENV"),
    ],
    ids=[
        "dev-key",
        "kafka-plaintext",
        "kafka-sasl-plaintext",
        "pg-no-tls",
        "pg-prefer",
        "cors",
        "typo",
    ],
)
def test_each_development_default_is_refused_by_name(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    settings = NotifierSettings.from_env(_production_env(tmp_path) | change)
    refusals = production_refusals(settings.common, settings.auth, settings.cors_origins)
    assert len(refusals) == 1 and named in refusals[0]


def test_a_key_named_dev_is_the_development_key_wherever_it_lies(tmp_path: Path) -> None:
    auth = _own_keys(tmp_path)
    assert auth.public_keys is not None
    dev = auth.public_keys.rename(tmp_path / "dev.pem")
    common = CommonSettings.from_env(_production_env(tmp_path))
    refusals = production_refusals(common, AuthSettings(public_keys=dev))
    assert refusals and "development key" in refusals[0]


def test_development_accepts_the_defaults() -> None:
    common = CommonSettings.from_env({})
    assert common.environment == "development"
    assert production_refusals(common, AuthSettings(), ("*",)) == []


def test_the_service_process_exits_non_zero_naming_every_refused_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINLINK_")}
    env |= {
        "KINLINK_ENV": "production",
        "KINLINK_CACHE_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.intake"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    for setting in (
        "KINLINK_AUTH_PUBLIC_KEYS",
        "KINLINK_KAFKA_SECURITY_PROTOCOL",
        "KINLINK_DATABASE_SSLMODE",
    ):
        assert setting in done.stderr
    assert not (tmp_path / "auth").exists()  # refused before any development key was made


def test_kafka_clients_get_tls_and_scram_settings(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    options = CommonSettings.from_env(env).kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "intake",
        "s3cret pass",
    )
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert CommonSettings.from_env({}).kafka_client_options() == {"security_protocol": "PLAINTEXT"}


def test_incomplete_kafka_security_settings_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="KINLINK_KAFKA_SECURITY_PROTOCOL"):
        KafkaSecurity(protocol="TLS")
    with pytest.raises(ValueError, match="SASL_USERNAME"):
        KafkaSecurity(protocol="SASL_SSL")
    with pytest.raises(ValueError, match="SASL_MECHANISM"):
        KafkaSecurity(sasl_mechanism="GSSAPI")


def test_sslmode_is_read_from_the_url_and_settings_win() -> None:
    assert database_sslmode("postgresql://h/db") == "prefer"
    env = {
        "KINLINK_DATABASE_URL": "postgresql://h/db?sslmode=disable",
        "KINLINK_DATABASE_SSLMODE": "verify-ca",
    }
    assert database_sslmode(CommonSettings.from_env(env).database_url) == "verify-ca"
    assert replace(CommonSettings.from_env(env), topic_prefix="x").environment == "development"


async def _cors_client(origins: tuple[str, ...]) -> TestClient[Any, Any]:
    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application(middlewares=[preflight])
    app[CORS_ORIGINS] = origins
    app.router.add_get("/v1/x", hello)
    app.on_response_prepare.append(cors_headers)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_cross_origin_access_only_for_listed_origins() -> None:
    assert parse_origins({"KINLINK_CORS_ORIGINS": " https://a.example/ ,"}) == (
        "https://a.example",
    )
    client = await _cors_client(("https://a.example",))
    try:
        ok = await client.get("/v1/x", headers={"Origin": "https://a.example"})
        assert ok.headers["Access-Control-Allow-Origin"] == "https://a.example"
        other = await client.get("/v1/x", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
        asks = {"Access-Control-Request-Method": "POST"}
        allowed = await client.options("/v1/x", headers={"Origin": "https://a.example", **asks})
        assert (
            allowed.status == 204
            and "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
        )
        refused = await client.options("/v1/x", headers={"Origin": "https://evil.example", **asks})
        assert refused.status == 403
    finally:
        await client.close()


def test_the_sasl_password_is_left_out_of_the_settings_repr() -> None:
    env = {
        "KINLINK_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KINLINK_KAFKA_SASL_USERNAME": "kinlink",
        "KINLINK_KAFKA_SASL_PASSWORD": "s3cret-Pa55",
    }
    settings = CommonSettings.from_env(env)
    assert "s3cret-Pa55" not in repr(settings) and "kinlink" in repr(settings)
    assert settings.kafka_client_options()["sasl_plain_password"] == "s3cret-Pa55"
