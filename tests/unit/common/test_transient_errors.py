"""Which failures the workers wait out instead of crashing: a database that restarts."""

from __future__ import annotations

import asyncpg

from services.common.consumer import TRANSIENT
from services.common.outbox import DATABASE_AWAY


def test_a_database_restart_is_transient_for_consumers_and_relays() -> None:
    # Found by the chaos run: a PostgreSQL restart crashed every service's workers.
    for error in (
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    ):
        assert isinstance(error, TRANSIENT)
        assert isinstance(error, DATABASE_AWAY)


def test_bad_data_is_not_transient() -> None:
    assert not isinstance(asyncpg.exceptions.DataError("invalid byte sequence"), TRANSIENT)
