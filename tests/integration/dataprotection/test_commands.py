"""The operator commands on a real database: `kinlink audit verify` exits 0 on an intact chain
and 1 (naming the entry) after tampering; `kinlink retention run --dry-run` reports and changes
nothing; `kinlink subject-access` refuses a token that does not hold the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.cli import main
from services.common.audit import AuditEntry, append
from services.common.auth import issue_token
from services.common.config import CommonSettings
from services.common.migrations import migrate
from services.intake.app import MIGRATIONS
from services.intake.config import SCHEMA


def run(env: dict[str, str], *args: str) -> Any:
    # The commands run their own event loop: call them from a worker thread of this test's.
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
async def env(settings: CommonSettings, pool: Any, tmp_path: Path) -> dict[str, str]:
    async with pool.acquire() as conn:
        await migrate(conn, SCHEMA, MIGRATIONS)
        await append(conn, SCHEMA, [
            AuditEntry("it-ps-imperia", "police", "it-ps-imperia/officer-1", "alert.read",
                       "alert", f"00000000-0000-4000-8000-00000000000{n}", f"req-{n}")
            for n in range(3)
        ])
    key = Ed25519PrivateKey.generate()
    (tmp_path / "test.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return {
        "KINLINK_DATABASE_URL": settings.database_url,
        "KINLINK_AUTH_PUBLIC_KEYS": str(tmp_path),
        "KINLINK_AUTH_PRIVATE_KEY": str(tmp_path / "test.pem"),
        "KINLINK_TOPIC_PREFIX": settings.topic_prefix,
    }


async def test_audit_verify_reports_an_intact_chain_then_the_altered_entry(
    env: dict[str, str], pool: Any
) -> None:
    import asyncio

    ok = await asyncio.to_thread(run, env, "audit", "verify", "--schema", "intake")
    assert ok.exit_code == 0, ok.output
    [report] = json.loads(ok.stdout)
    assert report["intact"] and report["entries"] == 3 and len(report["head_hash"]) == 64

    async with pool.acquire() as conn:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(f"UPDATE \"{SCHEMA}\".audit_log SET record_id = 'x' WHERE id = 2")
        await conn.execute("SET session_replication_role = DEFAULT")
    broken = await asyncio.to_thread(run, env, "audit", "verify", "--schema", "intake")
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)[0]["problems"] == [
        "entry 2 does not match its hash: it was altered"
    ]


async def test_retention_dry_run_reports_and_changes_nothing(
    env: dict[str, str], pool: Any
) -> None:
    import asyncio

    before = await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".audit_log')
    result = await asyncio.to_thread(run, env, "retention", "run", "--dry-run")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["audit_entries_removed"] == 0
    assert await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".audit_log') == before


async def test_subject_access_is_for_the_holder_or_a_dpo_and_is_audited(
    env: dict[str, str], tmp_path: Path, pool: Any
) -> None:
    import asyncio

    record_id = "00000000-0000-4000-8000-0000000000aa"
    data = {"registration_id": record_id, "centre": {"id": "it-centre-roja", "country": "ITA"},
            "registered_at": "2025-04-20T10:00:00Z", "child": {"given_names": "Samier"}}
    await pool.execute(
        f'INSERT INTO "{SCHEMA}".registrations (id, org_id, data) VALUES ($1, $2, $3)',
        record_id, "it-centre-roja", data,
    )
    key = serialization.load_pem_private_key((tmp_path / "test.pem").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    ngo = issue_token(key, "test", org="fr-ngo-utopia", org_kind="ngo", country="FRA")
    refused = await asyncio.to_thread(run, env, "subject-access", record_id, "--token", ngo)
    assert refused.exit_code == 1 and "data-protection officer" in refused.output
    dpo = issue_token(key, "test", org="eu-dpo", org_kind="auditor", country="BEL",
                      roles=("auditor", "dpo"))
    out = tmp_path / "export.json"
    given = await asyncio.to_thread(
        run, env, "subject-access", record_id, "--token", dpo, "--out", str(out)
    )
    assert given.exit_code == 0, given.output
    document = json.loads(out.read_text())
    assert document["record"] == {"type": "registration", "id": record_id}
    assert document["intake"]["record"]["child"] == {"given_names": "Samier"}
    assert document["correlator"] is None and document["notifier"] is None  # never ran here
    exports = await pool.fetch(
        f"SELECT org_id FROM \"{SCHEMA}\".audit_log WHERE action = 'subject_access.export'"
    )
    assert [r["org_id"] for r in exports] == ["eu-dpo"]
