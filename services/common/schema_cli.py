"""`kinlink migrate`: every service schema (or those named) brought up to date as the owner role,
and each service's own role granted what it needs (services.common.roles).

This is the deployment step that runs before the services start (a Kubernetes init container,
or by hand): only it holds the owner's credentials (KINLINK_DATABASE_MIGRATION_URL, else
KINLINK_DATABASE_URL); each service's role is the user of its KINLINK_<SERVICE>_DATABASE_URL
(or KINLINK_DATABASE_URL), `kinlink_<service>` if that URL names none.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from services.common.config import SERVICES, CommonSettings

_ROOT = Path(__file__).resolve().parent.parent


def migrations_of(service: str) -> Path:
    """The folder of a service's own migrations (the shared ones come first, always)."""
    return _ROOT / service / "migrations"


async def migrate_services(
    owner_url: str, roles: dict[str, str | None]
) -> dict[str, list[str]]:
    """Migrate each service's schema as the owner and grant its role; the versions applied."""
    from services.common.roles import migrate_as_owner

    return {
        service: await migrate_as_owner(owner_url, service, migrations_of(service), role)
        for service, role in roles.items()
    }


@click.command()
@click.option("--service", "services", multiple=True, type=click.Choice(SERVICES),
              help="Only this service's schema (repeatable); all of them by default.")
def migrate(services: tuple[str, ...]) -> None:
    """Apply pending migrations as the owner role and grant each service's role."""
    from services.common.migrations import MigrationError
    from services.common.roles import RoleError, role_in_url

    common = CommonSettings.from_env()
    owner_url = common.database_migration_url or common.database_url
    roles: dict[str, str | None] = {
        s: role_in_url(common.database_url_for(s), s) for s in services or SERVICES
    }
    try:
        applied = asyncio.run(migrate_services(owner_url, roles))
    except (MigrationError, RoleError) as exc:
        click.echo(f"kinlink migrate: {exc}", err=True)
        sys.exit(1)
    for service, versions in applied.items():
        done = ", ".join(versions) if versions else "up to date"
        click.echo(f"{service}: {done} (role {roles[service]})")
