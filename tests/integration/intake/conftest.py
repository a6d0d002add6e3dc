"""Intake under test: the real app (aiohttp TestServer) on the per-test database and topics,
with a throw-away signing key, and tokens for every organisation kind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.auth import AuthSettings, issue_token
from services.common.config import CommonSettings
from services.common.schema_registry import SchemaRegistry
from services.intake.app import create_app
from services.intake.config import IntakeSettings

# The organisation each kind's token names, unless a test asks for another.
ORGS = {
    "police": ("it-ps-imperia", "ITA"),
    "reception_centre": ("it-centre-roja", "ITA"),
    "ngo": ("fr-ngo-utopia", "FRA"),
    "hotline": ("fr-hotline-116000", "FRA"),
    "investigator": ("eu-investigations", "NLD"),
    "auditor": ("eu-dpo", "BEL"),
}


@dataclass
class Keys:
    folder: Path
    key: Ed25519PrivateKey
    kid: str = "test"

    @property
    def revoked_file(self) -> Path:
        return self.folder / "revoked.txt"


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    key = Ed25519PrivateKey.generate()
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "test.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Keys(folder, key)


TokenFactory = Callable[..., str]


@pytest.fixture
def token(keys: Keys) -> TokenFactory:
    def make(
        kind: str,
        org: str | None = None,
        *,
        roles: tuple[str, ...] | None = None,
        ttl: timedelta = timedelta(hours=1),
        now: int | None = None,
    ) -> str:
        default_org, country = ORGS[kind]
        granted = roles if roles is not None else (("auditor",) if kind == "auditor" else ())
        return issue_token(
            keys.key,
            keys.kid,
            org=org or default_org,
            org_kind=kind,
            country=country,
            roles=granted,
            ttl=ttl,
            subject=f"{org or default_org}/officer-1",
            now=now,
        )

    return make


@pytest.fixture
def intake_settings(settings: CommonSettings, keys: Keys) -> IntakeSettings:
    return IntakeSettings(
        common=settings,
        auth=AuthSettings(
            public_keys=keys.folder,
            private_key=keys.folder / "test.pem",
            revoked_file=keys.revoked_file,
        ),
        relay_poll_interval=0.2,
        max_body_bytes=64 * 1024,
        run_consumer=False,  # the match.reviewed consumer: on only where a test needs it
    )


@pytest.fixture
async def client(
    intake_settings: IntakeSettings, registry: SchemaRegistry
) -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(create_app(intake_settings, registry))) as test_client:
        yield test_client


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
