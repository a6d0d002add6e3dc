"""The notifier's use cases for people: subscriptions, reading notifications and the match
queue, and reviewing matches. Refusals are domain errors; the HTTP adapter renders them.

Only the owning organisation sees or changes a subscription (another one's is "not found").
Reviews are open to investigators and to the police unit that issued the alert; each emits
`match.reviewed` through the outbox in the same transaction as the stored decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.common.audit import AuditEntry
from services.common.auth import Caller
from services.common.catalog import MATCH_REVIEWED
from services.common.envelope import format_time, new_event
from services.common.errors import Conflict, NotAllowed, NotFound
from services.common.outcomes import Effect, IdempotencyKey, Outcome, RecordRef, StoredResponse
from services.common.schema_registry import SchemaRegistry
from services.notifier.domain.model import MatchState
from services.notifier.domain.payloads import context_summary, match_summary
from services.notifier.repository import (
    NotifierRepository,
    NotifierTransaction,
    Review,
)
from services.notifier.routing import Router
from services.notifier.subscriptions import SubscriptionRules

REVIEW_BODY = "https://schemas.kinlink.org/http/review.create.v1.json"
SOURCE = "/kinlink/notifier"
REVIEWERS = ("investigator", "police")


class NotifierHandlers:
    def __init__(
        self,
        repository: NotifierRepository,
        registry: SchemaRegistry,
        router: Router,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repository = repository
        self._registry = registry
        self._router = router
        self._clock = clock
        self.subscriptions = SubscriptionRules(repository, registry, clock)

    # -- reading -----------------------------------------------------------------------

    async def notifications(
        self,
        caller: Caller,
        *,
        since: int,
        limit: int,
        subscription_id: str | None = None,
    ) -> Outcome:
        """The caller's organisation's notifications after `since` (a `seq`), oldest first."""
        async with self._repository.transaction() as tx:
            found = await tx.notifications(
                caller.principal.org, after_seq=since, limit=limit,
                subscription_id=subscription_id,
            )  # fmt: skip
        items = [{**n.payload, "seq": n.seq, "created_at": _time(n.created_at)} for n in found]
        return Outcome(
            Effect.READ, {"items": items, "next_since": found[-1].seq if found else since}
        )

    async def queue(self, caller: Caller, *, open_only: bool, limit: int) -> Outcome:
        """Matches the caller's organisation was notified of: open ones first by urgency."""
        async with self._repository.transaction() as tx:
            items = await tx.queue(caller.principal.org, open_only=open_only, limit=limit)
        views = [
            {
                "match": match_summary(item.match, self._router.window),
                **(
                    context_summary(item.alert, item.observation)
                    if item.alert and item.observation
                    else {}
                ),
            }  # fmt: skip
            for item in items
        ]
        return Outcome(Effect.READ, {"items": views})

    async def match(self, caller: Caller, match_id: str) -> Outcome:
        async with self._repository.transaction() as tx:
            match = await self._visible_match(tx, caller, match_id)
            alert = await tx.alert_context(match.alert_id)
            observation = await tx.observation_context(match.obs_type, match.obs_id)
            reviews = await tx.reviews(match.match_id)
        body: dict[str, Any] = {"match": match_summary(match, self._router.window)}
        if alert is not None and observation is not None:
            body.update(context_summary(alert, observation))
        body["reviews"] = [_review_view(r) for r in reviews]
        return Outcome(Effect.READ, body, RecordRef("match", match.match_id))

    async def _visible_match(
        self, tx: NotifierTransaction, caller: Caller, match_id: str
    ) -> MatchState:
        """Investigators see every match; a police unit those of its own alerts."""
        p = caller.principal
        if p.org_kind not in REVIEWERS:
            raise NotAllowed(f"A {p.org_kind} token may not read matches.")
        match = await tx.match(_uuid(match_id))
        if match is None:
            raise NotFound("No match with this id.")
        if p.org_kind == "police":
            alert = await tx.alert_context(match.alert_id)
            if alert is None or alert.authority_id != p.org:
                raise NotAllowed("This match concerns another authority's alert.")
        return match

    # -- review ------------------------------------------------------------------------

    async def review(
        self, caller: Caller, match_id: str, body: Any, idem: IdempotencyKey | None
    ) -> Outcome:
        self._registry.require_valid(REVIEW_BODY, body)
        p = caller.principal
        async with self._repository.transaction() as tx:
            if idem is not None:
                await tx.lock_idempotency_key(p.org, idem.key)
                stored = await tx.stored_response(p.org, idem.key)
                if stored is not None:
                    return stored.replay(idem)
            await tx.lock_routing()
            match = await self._visible_match(tx, caller, match_id)
            outcome = await self._decide(tx, caller, match, body)
            if idem is not None:
                await tx.store_response(p.org, idem.key, StoredResponse.of(idem, outcome))
            return outcome

    async def _decide(
        self, tx: NotifierTransaction, caller: Caller, match: MatchState, body: dict[str, Any]
    ) -> Outcome:
        decision = body["decision"]
        override = body.get("override")
        if match.status != "proposed":
            raise Conflict("The correlator withdrew this match.", code="match-withdrawn")
        if "revision" in body and body["revision"] != match.revision:
            raise Conflict("The match changed since that revision; reload it.", code="stale")
        if match.decision is not None and match.decision != decision and override is None:
            raise Conflict(
                f"The match was already {match.decision}; an override with a reason is needed.",
                code="review-conflict",
            )
        if match.decision == decision:
            reviews = await tx.reviews(match.match_id)
            view = _review_view(reviews[-1]) if reviews else {"decision": decision}
            return Outcome(Effect.READ, view, RecordRef("match", match.match_id))
        now = self._clock()
        p = caller.principal
        review = Review(match.match_id, match.revision, decision, p.subject, p.org, now,
                        override["reason"] if override else None)  # fmt: skip
        await tx.add_review(review)
        reviewed = match.evolve(decision=decision, reviewed_at=now)
        await tx.save_match(reviewed)
        await tx.emit(self._reviewed_event(reviewed, review, body.get("note")))
        await tx.append_audit([AuditEntry.by(caller, f"match.{decision}", "match", match.match_id)])
        if decision == "confirmed":
            await self._router.confirmed(reviewed, tx)
        return Outcome(Effect.CREATED, _review_view(review), RecordRef("match", match.match_id))

    def _reviewed_event(self, match: MatchState, review: Review, note: str | None) -> Any:
        data: dict[str, Any] = {
            "match_id": match.match_id,
            "revision": match.revision,
            "alert_id": match.alert_id,
            "observation": {"type": match.obs_type, "id": match.obs_id},
            "decision": review.decision,
            "reviewer": {"id": review.reviewer, "organisation_id": review.org_id},
            "at": format_time(review.at),
        }
        if note:
            data["note"] = note
        return new_event(MATCH_REVIEWED, SOURCE, match.match_id, data, time=review.at)


def _review_view(review: Review) -> dict[str, Any]:
    return {
        "match_id": review.match_id,
        "revision": review.revision,
        "decision": review.decision,
        "reviewer": {"id": review.reviewer, "organisation_id": review.org_id},
        "at": format_time(review.at),
        "override_reason": review.override_reason,
    }


def _time(value: datetime | None) -> str | None:
    return format_time(value) if value is not None else None


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise NotFound("No match with this id.") from None
