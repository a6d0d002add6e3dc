"""The local database set up as production's is: the owner role owns the schemas and has run
their migrations; each service connects as its own role (services.common.roles).

The embedded server trusts loopback connections (it listens on 127.0.0.1 only), so the local
roles have no passwords; a cluster gives each role its own secret instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg

from services.common.config import SERVICES
from services.common.roles import (
    OWNER_ROLE,
    adopt_schema,
    provision,
    service_role,
    url_as,
)
from services.common.schema_cli import migrate_services


def owner_url(database_url: str) -> str:
    return url_as(database_url, OWNER_ROLE)


def service_urls(database_url: str) -> dict[str, str]:
    """Each service's own connection to the database `database_url` names."""
    return {s: url_as(database_url, service_role(s)) for s in SERVICES}


async def provision_database(admin_url: str) -> None:
    """As the superuser of `admin_url`'s database: the roles, the database and any schema
    made before roles existed handed to the owner."""
    database = urlsplit(admin_url).path.lstrip("/")
    admin = await asyncpg.connect(admin_url)
    try:
        await provision(admin, database, SERVICES)
        for schema in SERVICES:
            await adopt_schema(admin, schema)
    finally:
        await admin.close()


async def prepare_local_database(admin_url: str) -> dict[str, str]:
    """Provision, migrate every schema as the owner, grant each role; each service's URL."""
    await provision_database(admin_url)
    urls = service_urls(admin_url)
    await migrate_services(owner_url(admin_url), {s: service_role(s) for s in SERVICES})
    return urls
