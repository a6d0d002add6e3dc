"""Revoked tokens: the `jti`s listed in KINLINK_AUTH_REVOKED_FILE (one a line, `#` comments),
which `kinlink token revoke` appends to and every verification consults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RevocationList:
    """Revoked `jti`s: a fixed set plus a file (one `jti` a line, `#` comments). The file is
    cached and re-read only when its modification time or size changes, so every request sees
    a revocation as soon as `kinlink token revoke` has written it, for the price of a stat."""

    fixed: frozenset[str] = frozenset()
    path: Path | None = None
    _mtime: tuple[int, int] = (-1, -1)
    _from_file: frozenset[str] = field(default_factory=frozenset)

    def __contains__(self, jti: object) -> bool:
        if not isinstance(jti, str):
            return False
        self._refresh()
        return jti in self.fixed or jti in self._from_file

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._from_file, self._mtime = frozenset(), (-1, -1)
            return
        mtime = (stat.st_mtime_ns, stat.st_size)
        if mtime != self._mtime:
            lines = self.path.read_text().splitlines()
            self._from_file = frozenset(
                line.strip() for line in lines if line.strip() and not line.startswith("#")
            )
            self._mtime = mtime


def revoke(path: Path, jti: str) -> bool:
    """Append `jti` to the revocation file (created if missing); False if it was there."""
    if not jti.strip() or any(c.isspace() for c in jti) or jti.startswith("#"):
        raise ValueError("a jti is one word, without spaces")
    if jti in RevocationList(path=path):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as listing:
        listing.write(f"{jti}\n")
    return True
