"""The dashboard's scripts without a browser: node's test runner on tests/e2e/js/ (the SSE
parser, resuming with Last-Event-ID, merging notifications into the queue)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_dashboard_scripts_pass_their_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed (it comes with npm, which `make setup` uses for the dashboard)")
    tests = sorted(str(p) for p in (HERE / "js").glob("*.test.mjs"))
    done = subprocess.run(
        [node, "--test", *tests], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout
