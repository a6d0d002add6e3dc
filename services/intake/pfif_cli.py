"""`kinlink pfif export|import`: PFIF exchange with a running intake, from scripts.

`export` reads the feed (`GET /v1/pfif/persons`) page by page from `--min-entry-date` and writes
one PFIF document (all pages merged) to `--out` or stdout; `--skip` / `--max-results` ask for a
single page as Person Finder's read API does. `import` posts a partner's PFIF file
(`POST /v1/pfif/import?as=...`) and prints the report. The token comes from --token or
KINLINK_TOKEN, intake's URL from --url or KINLINK_INTAKE_URL.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from services.intake.cli import DEFAULT_URL

_URL = click.option("--url", envvar="KINLINK_INTAKE_URL", default=DEFAULT_URL, show_default=True)
_TOKEN = click.option("--token", "bearer", envvar="KINLINK_TOKEN", help="Bearer token.")


@click.group()
def pfif() -> None:
    """PFIF 1.3 / 1.4 exchange with family-tracing systems (Person Finder and others)."""


def _call(url: str, bearer: str | None, data: bytes | None = None) -> bytes:
    if not bearer:
        raise click.UsageError("give --token or set KINLINK_TOKEN")
    headers = {"Authorization": f"Bearer {bearer}"}
    if data is not None:
        headers["Content-Type"] = "application/xml"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        click.echo(exc.read().decode(errors="replace"), err=True)
        click.echo(f"HTTP {exc.code}", err=True)
        sys.exit(1)
    except urllib.error.URLError as exc:
        click.echo(f"intake not reachable at {url}: {exc.reason}", err=True)
        sys.exit(2)


@pfif.command("export")
@click.option(
    "--version", "pfif_version", type=click.Choice(["1.3", "1.4"]), default="1.4", show_default=True
)
@click.option(
    "--min-entry-date",
    default=None,
    help="Only records entered at or after (YYYY-MM-DDThh:mm:ssZ).",
)
@click.option("--skip", type=int, default=None, help="Records to skip: ask for this one page only.")
@click.option("--max-results", type=click.IntRange(1, 200), default=200, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@_TOKEN
@_URL
def export(
    pfif_version: str,
    min_entry_date: str | None,
    skip: int | None,
    max_results: int,
    out: Path | None,
    bearer: str | None,
    url: str,
) -> None:
    """Export alerts, registrations, sightings and confirmed matches as PFIF XML."""
    ns = f"http://zesty.ca/pfif/{pfif_version}"
    ET.register_namespace("pfif", ns)
    merged: ET.Element | None = None
    offset = skip or 0
    while True:
        query = {"version": pfif_version, "skip": offset, "max_results": max_results}
        if min_entry_date:
            query["min_entry_date"] = min_entry_date
        page = ET.fromstring(
            _call(f"{url.rstrip('/')}/v1/pfif/persons?{urllib.parse.urlencode(query)}", bearer)
        )
        persons = list(page)
        merged = page if merged is None else merged
        if merged is not page:
            merged.extend(persons)
        offset += len(persons)
        if skip is not None or len(persons) < max_results:
            break
    ET.indent(merged)
    document = ET.tostring(merged, encoding="utf-8", xml_declaration=True)
    if out is None:
        sys.stdout.buffer.write(document + b"\n")
    else:
        out.write_bytes(document)
        click.echo(f"{len(merged)} persons written to {out}", err=True)


@pfif.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_type", type=click.Choice(["sightings", "alerts"]), required=True)
@_TOKEN
@_URL
def import_(file: Path, as_type: str, bearer: str | None, url: str) -> None:
    """Import a partner's PFIF FILE as sightings or alerts (re-importing creates nothing new)."""
    body = _call(f"{url.rstrip('/')}/v1/pfif/import?as={as_type}", bearer, file.read_bytes())
    report = json.loads(body)
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    counts = {k: len(report[k]) for k in ("created", "unchanged", "skipped")}
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items()), err=True)
