"""`kinlink audit verify` and `kinlink subject-access RECORD_ID`: data-protection commands for
operators and data-protection officers, run against the services' databases
(KINLINK_DATABASE_URL, or KINLINK_{INTAKE,CORRELATOR,NOTIFIER}_DATABASE_URL where a service
has its own)."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import click

from services.common.config import CommonSettings

SCHEMAS = ("intake", "correlator", "notifier")


def _database(service: str) -> str:
    return CommonSettings.from_env().database_url_for(service)


@click.group()
def audit() -> None:
    """The services' audit logs."""


@audit.command("verify")
@click.option("--schema", "schemas", multiple=True, type=click.Choice(SCHEMAS),
              help="Verify only this service's log (repeatable; default: all).")
def verify_command(schemas: tuple[str, ...]) -> None:
    """Recompute every audit log's hash chain; exit 1 if an entry was altered, inserted or
    removed. Prints each chain's head hash: keep it elsewhere to detect a cut-off tail."""
    reports = asyncio.run(_verify(schemas or SCHEMAS))
    click.echo(json.dumps(reports, indent=2))
    sys.exit(0 if all(r["intact"] for r in reports) else 1)


async def _verify(schemas: tuple[str, ...]) -> list[dict[str, object]]:
    import asyncpg

    from services.common.audit_chain import verify

    out = []
    for schema in schemas:
        conn = await asyncpg.connect(_database(schema))
        try:
            if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.audit_log"):
                continue  # the service never ran against this database
            out.append((await verify(conn, schema)).as_json())
        finally:
            await conn.close()
    return out


@click.command("subject-access")
@click.argument("record_id")
@click.option("--token", "bearer", envvar="KINLINK_TOKEN", required=True,
              help="Bearer token of the record's organisation or of a `dpo` role holder.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSON document here (default: standard output).")
def subject_access(record_id: str, bearer: str, out: Path | None) -> None:
    """Export everything Kinlink holds about one alert, registration or sighting (intake
    record and history, correlator matches, notifier notifications and reviews, audit
    entries) as one JSON document. The export is audited."""
    from services.common.auth import AuthError, AuthSettings, Caller
    from services.common.errors import DomainError
    from services.dataprotection.subject_access import Databases, export
    from services.intake.retention.config import RetentionSettings

    try:
        principal = AuthSettings.from_env().verifier().verify(bearer)
    except AuthError as exc:
        raise click.UsageError(f"the token was refused: {exc}") from None
    caller = Caller(principal, f"cli-{uuid.uuid4()}")
    databases = Databases(*(_database(s) for s in SCHEMAS))
    try:
        document = asyncio.run(
            export(databases, caller, record_id, RetentionSettings.from_env().policy)
        )
    except DomainError as exc:
        click.echo(exc.detail, err=True)
        sys.exit(1)
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"written to {out}", err=True)
