"""Database settings for least privilege: each service's own URL, the owner's migration URL, and
production's TLS demand covering every one of them."""

from __future__ import annotations

from services.common.config import CommonSettings
from services.common.production import production_refusals
from services.common.roles import role_in_url, url_as

OWN = "postgresql://kinlink_intake:pw@db:5432/kinlink"
OWNER = "postgresql://kinlink_owner:pw@db:5432/kinlink"


def test_a_service_connects_with_its_own_url_and_migrates_with_the_owners() -> None:
    settings = CommonSettings.from_env({
        "KINLINK_DATABASE_URL": "postgresql://shared@db/kinlink",
        "KINLINK_INTAKE_DATABASE_URL": OWN,
        "KINLINK_DATABASE_MIGRATION_URL": OWNER,
        "KINLINK_DATABASE_SSLMODE": "verify-full",
    })
    assert settings.database_url_for("intake") == OWN + "?sslmode=verify-full"
    assert settings.database_url_for("notifier") == "postgresql://shared@db/kinlink?sslmode=verify-full"
    assert settings.database_migration_url == OWNER + "?sslmode=verify-full"
    assert role_in_url(settings.database_url_for("intake"), "intake") == "kinlink_intake"
    assert role_in_url("postgresql://db/kinlink", "notifier") == "kinlink_notifier"


def test_production_wants_tls_on_the_migration_connection_too() -> None:
    env = {
        "KINLINK_ENV": "production",
        "KINLINK_KAFKA_SECURITY_PROTOCOL": "SSL",
        "KINLINK_DATABASE_URL": OWN + "?sslmode=verify-full",
        "KINLINK_DATABASE_MIGRATION_URL": OWNER,
    }
    [refusal] = production_refusals(CommonSettings.from_env(env), None)
    assert "KINLINK_DATABASE_SSLMODE" in refusal and "prefer" in refusal
    env["KINLINK_DATABASE_MIGRATION_URL"] = OWNER + "?sslmode=verify-full"
    assert production_refusals(CommonSettings.from_env(env), None) == []


def test_url_as_swaps_only_the_login() -> None:
    assert url_as("postgresql://postgres@127.0.0.1:5433/kinlink?sslmode=require",
                  "kinlink_owner", "s3cret") == (
        "postgresql://kinlink_owner:s3cret@127.0.0.1:5433/kinlink?sslmode=require"
    )
