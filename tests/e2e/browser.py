"""Headless Chromium for browser tests: Playwright (from PyPI) driving Debian's `chromium`
package, never a browser Playwright downloads itself (`playwright install` is not used).

KINLINK_CHROMIUM names another Chromium/Chrome executable (default: /usr/bin/chromium, which
`make setup` installs on Debian). Screenshots go to .cache/test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".cache" / "test-artifacts"
VENDOR = ROOT / "services" / "notifier" / "static" / "vendor"


def chromium_executable() -> str:
    wanted = os.environ.get("KINLINK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(wanted).is_file():
        pytest.fail(
            f"No Chromium at {wanted}: run `make setup` (installs Debian's chromium package) "
            "or set KINLINK_CHROMIUM to a Chromium/Chrome executable."
        )
    return wanted


def require_vendored_assets() -> None:
    if not (VENDOR / ".built").is_file():
        pytest.fail("The dashboard's vendored map and scripts are missing: run `make setup`.")


@dataclass
class PageLog:
    """What the page said and asked for, to check it leaked nothing and loaded only ours."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    loads: int = 0


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    require_vendored_assets()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_executable(),
            headless=True,
            # root in a container: Chromium's sandbox needs user namespaces we do not have
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield launched
        finally:
            await launched.close()


async def open_page(browser: Any, log: PageLog) -> Any:
    """A fresh context at laptop size, every console line, error and request recorded."""
    context = await browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-GB", timezone_id="UTC"
    )
    page = await context.new_page()
    page.on("console", lambda message: log.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    page.on("request", lambda request: log.requests.append(request.url))

    def loaded(_: Any) -> None:
        log.loads += 1

    page.on("load", loaded)
    return page


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
