"""`kinlink retention run [--dry-run]`: one run of intake's retention job from the command line
(the same job intake runs periodically), against KINLINK_DATABASE_URL with the
KINLINK_RETENTION_* periods. Prints the run's report as JSON."""

from __future__ import annotations

import asyncio
import json

import click


@click.group()
def retention() -> None:
    """Retention of personal data (review dates, warnings, expiry, erasure, audit trimming)."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Report what would be done; change nothing.")
def run(dry_run: bool) -> None:
    """Warn of reviews due, expire alerts nobody extended, erase what may no longer be kept,
    and remove audit entries older than their period (behind a checkpoint)."""
    report = asyncio.run(_run(dry_run))
    click.echo(json.dumps(report, indent=2))


async def _run(dry_run: bool) -> dict[str, object]:
    from services.common.config import CommonSettings
    from services.common.db import create_pool
    from services.common.logging import configure_logging
    from services.common.roles import prepare_schema
    from services.common.schema_registry import SchemaRegistry
    from services.intake.app import MIGRATIONS
    from services.intake.config import SCHEMA
    from services.intake.retention.config import RetentionSettings
    from services.intake.retention.job import RetentionJob
    from services.intake.retention.postgres import PostgresRetentionStore

    common = CommonSettings.from_env()
    configure_logging(common.log_level, "retention")  # logs on stderr, the report on stdout
    pool = await create_pool(common.database_url_for(SCHEMA), max_size=2)
    try:
        await prepare_schema(pool, common, SCHEMA, MIGRATIONS)
        store = PostgresRetentionStore(pool, SchemaRegistry.load(), common.topic)
        job = RetentionJob(store, RetentionSettings.from_env().policy)
        return (await job.run(dry_run=dry_run)).as_json()
    finally:
        await pool.close()
