"""`kinlink token|alert|registration|sighting`: mint tokens and use the intake doors from scripts.

The record commands POST a JSON file to a running intake (KINLINK_INTAKE_URL, default
http://127.0.0.1:8080) with the bearer token from --token or KINLINK_TOKEN, print the
response body, and exit non-zero on an error response.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import click

from services.common.auth import ORG_KINDS, AuthSettings, issue_token, parse_ttl
from services.common.revocation import revoke

DEFAULT_URL = "http://127.0.0.1:8080"


@click.group()
def token() -> None:
    """Bearer tokens for intake."""


@token.command("issue")
@click.option("--org", required=True, help="Organisation id, e.g. it-ps-imperia.")
@click.option("--kind", required=True, type=click.Choice(ORG_KINDS), help="Organisation kind.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-3 code, e.g. ITA.")
@click.option("--role", "roles", multiple=True, help="A role (repeatable), e.g. auditor.")
@click.option("--ttl", default="8h", show_default=True, help="Lifetime: 90s, 30m, 8h, 7d.")
@click.option("--subject", default=None, help="Token subject (default: <org>/system).")
def issue(
    org: str, kind: str, country: str, roles: tuple[str, ...], ttl: str, subject: str | None
) -> None:
    """Print a signed token (KINLINK_AUTH_PRIVATE_KEY, or the local development key).

    An `auditor` kind gets the auditor role unless roles are given.
    """
    kid, key = AuthSettings.from_env().signing_key()
    granted = roles or (("auditor",) if kind == "auditor" else ())
    try:
        click.echo(
            issue_token(
                key,
                kid,
                org=org,
                org_kind=kind,
                country=country,
                roles=granted,
                ttl=parse_ttl(ttl),
                subject=subject,
            )
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@token.command("revoke")
@click.argument("jti")
@click.option(
    "--file",
    "listing",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Revocation list (default: KINLINK_AUTH_REVOKED_FILE, else the development one).",
)
def revoke_command(jti: str, listing: Path | None) -> None:
    """Revoke the token whose `jti` claim is JTI: every service refuses it from its next
    request on (they share the revocation file: put it on a volume they all read)."""
    path = listing or AuthSettings.from_env().revocation_file
    try:
        added = revoke(path, jti)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"{'revoked' if added else 'already revoked'}: {jti} (in {path})")


def _post(path: str, file: Path, bearer: str | None, url: str, idempotency_key: str) -> None:
    if not bearer:
        raise click.UsageError("give --token or set KINLINK_TOKEN")
    request = urllib.request.Request(
        url.rstrip("/") + path,
        data=file.read_bytes(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {bearer}",
            "Idempotency-Key": idempotency_key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            click.echo(json.dumps(json.loads(response.read()), indent=2, ensure_ascii=False))
            click.echo(f"Location: {response.headers.get('Location')}", err=True)
    except urllib.error.HTTPError as exc:
        click.echo(exc.read().decode(errors="replace"))
        click.echo(f"HTTP {exc.code}", err=True)
        sys.exit(1)
    except urllib.error.URLError as exc:
        click.echo(f"intake not reachable at {url}: {exc.reason}", err=True)
        sys.exit(2)


def _door(path: str, verb: str, help_text: str) -> click.Command:
    @click.command(verb, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--token", "bearer", envvar="KINLINK_TOKEN", help="Bearer token.")
    @click.option("--url", envvar="KINLINK_INTAKE_URL", default=DEFAULT_URL, show_default=True)
    @click.option(
        "--idempotency-key", default=None, help="Reuse to retry safely (default: a new random key)."
    )
    def command(file: Path, bearer: str | None, url: str, idempotency_key: str | None) -> None:
        _post(path, file, bearer, url, idempotency_key or str(uuid.uuid4()))

    return command


@click.group()
def alert() -> None:
    """Missing-child alerts (police)."""


@click.group()
def registration() -> None:
    """Registrations of children taken in (reception centres)."""


@click.group()
def sighting() -> None:
    """Sightings (police, NGOs, hotlines)."""


alert.add_command(_door("/v1/alerts", "publish", "Publish the alert in FILE.json."))
registration.add_command(
    _door("/v1/registrations", "record", "Record the registration in FILE.json.")
)
sighting.add_command(_door("/v1/sightings", "report", "Report the sighting in FILE.json."))
