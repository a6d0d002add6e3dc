"""The notifier's use cases on the in-memory store, driven as its adapters drive them: events one
transaction each (as the consumer runs `dispatch`), people through the handlers, deadlines
through the escalation pass, and time by a clock the test moves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.common.auth import Caller
from services.common.envelope import CloudEvent
from services.common.schema_registry import SchemaRegistry
from services.notifier.consumers import dispatch
from services.notifier.domain.model import Notification
from services.notifier.handlers import NotifierHandlers
from services.notifier.routing import Router
from tests.integration.notifier import events
from tests.unit.intake.callers import caller
from tests.unit.notifier.fakes import InMemoryNotifierRepository

WINDOW = timedelta(hours=12)
START = events.LAST_SEEN + timedelta(days=10)  # after every observation the builders make
POLICE = caller("police")  # it-ps-imperia, the issuing authority of events.alert()
INVESTIGATOR = caller("investigator")  # eu-investigations
OTHER_INVESTIGATOR = caller("investigator", "de-bka-investigations")
OTHER_POLICE = caller("police", "fr-pn-ocrvp")


class Clock:
    """Now, as the notifier's use cases see it: standing still until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Notifier:
    """One notifier over an in-memory store (a second instance may share the store)."""

    def __init__(
        self, registry: SchemaRegistry, clock: Clock, repo: InMemoryNotifierRepository
    ) -> None:
        self.clock = clock
        self.repo = repo
        self.router = Router(WINDOW, clock)
        self.handlers = NotifierHandlers(repo, registry, self.router, clock)

    async def apply(self, *applied: CloudEvent) -> None:
        """Each event in its own transaction, routed by type as `consumers.py` routes it."""
        for event in applied:
            async with self.repo.transaction() as tx:
                await dispatch(self.router, event, tx)

    def proposed(self, alert: CloudEvent, observation: CloudEvent, **kw: Any) -> CloudEvent:
        """A `match.proposed` made now (by the test's clock)."""
        return events.proposed(alert, observation, **{"at": self.clock(), **kw})

    async def escalate(self, batch: int = 100) -> int:
        return await self.router.escalate_overdue(self.repo, batch)

    async def told(self, who: Caller | str) -> list[Notification]:
        """Everything the organisation was told, in `seq` order."""
        org = who if isinstance(who, str) else who.principal.org
        async with self.repo.transaction() as tx:
            return await tx.notifications(org, after_seq=0, limit=1000)

    async def kinds(self, who: Caller | str) -> list[str]:
        return [n.kind for n in await self.told(who)]

    async def subscribe(self, who: Caller, name: str = "all", **body: Any) -> str:
        """A new subscription of the caller's organisation; its id."""
        created = await self.handlers.subscriptions.create(who, {"name": name, **body}, None)
        return str(created.body["id"])
