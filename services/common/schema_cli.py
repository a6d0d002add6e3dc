"""`kinlink migrate`: every service schema (or those named) brought up to date as the owner role,
and each service's own role granted what it needs (services.common.roles).

This is the deployment step that runs before the services start (a Kubernetes init container,
or by hand): only it holds the owner's credentials (KINLINK_DATABASE_MIGRATION_URL, else
KINLINK_DATABASE_URL); each service's role is the user of its KINLINK_<SERVICE>_DATABASE_URL
(or KINLINK_DATABASE_URL), `kinlink_<service>` if that URL names none.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

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


async def provision_from_urls(admin_url: str, owner_url: str, urls: dict[str, str]) -> None:
    """As the superuser of `admin_url`: the owner and service roles, with the passwords their
    URLs carry (a development stack such as infra/compose.yaml; a cluster's operator does this)."""
    import asyncpg

    from services.common.roles import OWNER_ROLE, provision, role_in_url, service_role

    database = urlsplit(admin_url).path.lstrip("/")
    if role_in_url(owner_url, "owner") != OWNER_ROLE or any(
        role_in_url(url, s) != service_role(s) for s, url in urls.items()
    ):
        raise click.UsageError(
            f"--provision creates {OWNER_ROLE} and kinlink_<service>: the URLs must name them"
        )
    passwords = {role_in_url(url, s): urlsplit(url).password for s, url in urls.items()}
    passwords[OWNER_ROLE] = urlsplit(owner_url).password
    admin = await asyncpg.connect(admin_url)
    try:
        await provision(admin, database, tuple(urls),
                        {role: pw for role, pw in passwords.items() if pw})
    finally:
        await admin.close()


@click.command()
@click.option("--service", "services", multiple=True, type=click.Choice(SERVICES),
              help="Only this service's schema (repeatable); all of them by default.")
@click.option("--provision", is_flag=True,
              help="First create the roles as the superuser of KINLINK_DATABASE_ADMIN_URL,"
                   " with the passwords in the URLs (development stacks only).")
def migrate(services: tuple[str, ...], provision: bool) -> None:
    """Apply pending migrations as the owner role and grant each service's role."""
    from services.common.migrations import MigrationError
    from services.common.roles import RoleError, role_in_url

    common = CommonSettings.from_env()
    owner_url = common.database_migration_url or common.database_url
    chosen = services or SERVICES
    roles: dict[str, str | None] = {
        s: role_in_url(common.database_url_for(s), s) for s in chosen
    }
    try:
        if provision:
            admin_url = os.environ.get("KINLINK_DATABASE_ADMIN_URL", "").strip()
            if not admin_url:
                raise click.UsageError("--provision needs KINLINK_DATABASE_ADMIN_URL")
            urls = {s: common.database_url_for(s) for s in chosen}
            asyncio.run(provision_from_urls(admin_url, owner_url, urls))
        applied = asyncio.run(migrate_services(owner_url, roles))
    except (MigrationError, RoleError) as exc:
        click.echo(f"kinlink migrate: {exc}", err=True)
        sys.exit(1)
    for service, versions in applied.items():
        done = ", ".join(versions) if versions else "up to date"
        click.echo(f"{service}: {done} (role {roles[service]})")
