"""The OpenAPI document is valid 3.1, self-contained, and matches the app's routes exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openapi_spec_validator import validate

from services.common.auth import AuthSettings
from services.common.config import CommonSettings
from services.common.openapi import load_bundled
from services.common.schema_registry import SchemaRegistry
from services.intake.app import OPENAPI_FILE, create_app
from services.intake.config import IntakeSettings

METHODS = {"get", "post", "put", "patch", "delete"}


def test_served_document_is_valid_and_self_contained() -> None:
    doc = load_bundled(OPENAPI_FILE, SchemaRegistry.load())
    validate(doc)  # would try to fetch any remote $ref: there must be none
    refs = re.findall(r'"\$ref": "([^"]*)"', json.dumps(doc))
    assert refs and all(ref.startswith("#/") for ref in refs)


def test_every_route_is_documented_and_vice_versa(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = IntakeSettings(
        common=CommonSettings(kafka_bootstrap="127.0.0.1:1", database_url="postgresql://x/y"),
        auth=AuthSettings(public_keys=key, private_key=key),
    )
    app = create_app(settings)  # builds routes only: nothing connects before start-up
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method.lower() in METHODS
    }
    doc = load_bundled(OPENAPI_FILE, SchemaRegistry.load())
    documented = {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }
    assert served == documented
