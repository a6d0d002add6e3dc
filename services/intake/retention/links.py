"""Intake's consumer of the correlator's matches: which observations each alert is linked to.

The retention job never erases an observation an open alert still needs; only the correlator
knows the links, so intake keeps its latest word on each match (proposed or withdrawn, by
revision). Other events on the topic carry nothing for intake.
"""

from __future__ import annotations

import asyncpg

from services.common.catalog import MATCH_PROPOSED, MATCH_WITHDRAWN, MATCHES
from services.common.envelope import CloudEvent
from services.intake.retention.postgres import PostgresRetentionStore
from services.intake.retention.store import RetentionTransaction

TOPICS = (MATCHES,)
GROUP_SUFFIX = "-links"
_STATUS = {MATCH_PROPOSED: "proposed", MATCH_WITHDRAWN: "withdrawn"}


async def apply_match(event: CloudEvent, tx: RetentionTransaction) -> None:
    status = _STATUS.get(event.type)
    if status is None:
        return
    data = event.data
    obs = data["observation"]
    await tx.save_link(
        data["match_id"], data["alert_id"], (obs["type"], obs["id"]), data["revision"], status
    )


class LinksDispatcher:
    def __init__(self, store: PostgresRetentionStore) -> None:
        self._store = store

    async def handle(self, event: CloudEvent, conn: asyncpg.Connection) -> None:
        await apply_match(event, self._store.in_transaction(conn))
