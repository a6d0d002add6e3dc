"""Where the checkout, its infra files and its cache (jars, data directories, logs) live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"


def cache_dir() -> Path:
    """The git-ignored cache folder inside the checkout (override: KINLINK_CACHE_DIR)."""
    return Path(os.environ.get("KINLINK_CACHE_DIR", REPO_ROOT / ".cache")).resolve()
