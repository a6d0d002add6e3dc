"""Subscription use cases: create, list, read, change, delete, re-enable a webhook, and read
its delivery log. Only the owning organisation sees a subscription; another's is "not found".

Investigators subscribe to any matches; police units too, for their own alerts (they are also
notified of those without subscribing). A webhook must be HTTPS, or plain HTTP to a loopback
address (tests); its signing secret is shown once, when the endpoint is set.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from services.common.audit import AuditEntry
from services.common.auth import Caller
from services.common.envelope import format_time
from services.common.errors import FieldError, InvalidInput, NotAllowed, NotFound
from services.common.outcomes import Effect, IdempotencyKey, Outcome, RecordRef, StoredResponse
from services.common.schema_registry import SchemaRegistry
from services.notifier.domain.filters import filters_from_json, filters_to_json
from services.notifier.domain.model import Subscription, Webhook
from services.notifier.domain.signing import new_secret
from services.notifier.repository import NotifierRepository, NotifierTransaction

CREATE_BODY = "https://schemas.kinlink.org/http/subscription.create.v1.json"
UPDATE_BODY = "https://schemas.kinlink.org/http/subscription.update.v1.json"
SUBSCRIBERS = ("investigator", "police")
_LOOPBACK_NAMES = ("localhost",)


class SubscriptionRules:
    def __init__(
        self,
        repository: NotifierRepository,
        registry: SchemaRegistry,
        clock: Callable[[], datetime],
    ) -> None:
        self._repository = repository
        self._registry = registry
        self._clock = clock

    async def create(self, caller: Caller, body: Any, idem: IdempotencyKey | None) -> Outcome:
        _authorise(caller)
        self._check(CREATE_BODY, body)
        p = caller.principal
        async with self._repository.transaction() as tx:
            if idem is not None:
                await tx.lock_idempotency_key(p.org, idem.key)
                stored = await tx.stored_response(p.org, idem.key)
                if stored is not None:
                    return stored.replay(idem)
            subscription = Subscription(
                id=str(uuid.uuid4()),
                org_id=p.org,
                org_kind=p.org_kind,
                created_by=p.subject,
                name=body["name"],
                filters=filters_from_json(body.get("filters", {})),
                escalation_contact=bool(body.get("escalation_contact", False)),
                webhook=_webhook(body.get("webhook")),
            )
            saved = await tx.save_subscription(subscription)
            await _audit(tx, caller, "subscription.create", saved.id)
            outcome = Outcome(
                Effect.CREATED, view(saved, with_secret=True), RecordRef("subscription", saved.id)
            )
            if idem is not None:
                await tx.store_response(p.org, idem.key, StoredResponse.of(idem, outcome))
            return outcome

    async def list(self, caller: Caller) -> Outcome:
        _authorise(caller)
        async with self._repository.transaction() as tx:
            found = await tx.subscriptions_of(caller.principal.org)
        return Outcome(Effect.READ, {"items": [view(s) for s in found]})

    async def read(self, caller: Caller, subscription_id: str) -> Outcome:
        async with self._repository.transaction() as tx:
            subscription = await _owned(tx, caller, subscription_id)
        return Outcome(Effect.READ, view(subscription), RecordRef("subscription", subscription.id))

    async def update(self, caller: Caller, subscription_id: str, body: Any) -> Outcome:
        self._check(UPDATE_BODY, body)
        async with self._repository.transaction() as tx:
            current = await _owned(tx, caller, subscription_id)
            changed = current
            if "name" in body:
                changed = replace(changed, name=body["name"])
            if "filters" in body:
                changed = replace(changed, filters=filters_from_json(body["filters"]))
            if "escalation_contact" in body:
                changed = replace(changed, escalation_contact=bool(body["escalation_contact"]))
            new_endpoint = "webhook" in body
            if new_endpoint:
                changed = replace(changed, webhook=_webhook(body["webhook"]))
            saved = await tx.save_subscription(changed)
            await _audit(tx, caller, "subscription.update", saved.id)
        body_out = view(saved, with_secret=new_endpoint)
        return Outcome(Effect.CHANGED, body_out, RecordRef("subscription", saved.id))

    async def delete(self, caller: Caller, subscription_id: str) -> Outcome:
        async with self._repository.transaction() as tx:
            current = await _owned(tx, caller, subscription_id)
            await tx.delete_subscription(current.id)
            await _audit(tx, caller, "subscription.delete", current.id)
        return Outcome(Effect.DELETED, None, RecordRef("subscription", current.id))

    async def enable_webhook(self, caller: Caller, subscription_id: str) -> Outcome:
        """Re-enable an endpoint disabled after a run of failures; what waited is sent now."""
        async with self._repository.transaction() as tx:
            current = await _owned(tx, caller, subscription_id)
            if current.webhook is None:
                raise NotFound("This subscription has no webhook.")
            await tx.enable_webhook(current.id, self._clock())
            await _audit(tx, caller, "subscription.webhook.enable", current.id)
            saved = await tx.subscription(current.id)
        assert saved is not None
        return Outcome(Effect.CHANGED, view(saved), RecordRef("subscription", saved.id))

    async def deliveries(self, caller: Caller, subscription_id: str, limit: int) -> Outcome:
        """The webhook delivery log, newest attempt first."""
        async with self._repository.transaction() as tx:
            current = await _owned(tx, caller, subscription_id)
            attempts = await tx.delivery_attempts(current.id, limit)
        items = [
            {
                "notification_id": a.notification_id,
                "attempt": a.attempt,
                "at": format_time(a.at),
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": round(a.duration_ms, 1),
            }
            for a in attempts
        ]
        return Outcome(Effect.READ, {"items": items})

    def _check(self, schema_id: str, body: Any) -> None:
        self._registry.require_valid(schema_id, body)
        hook = body.get("webhook")
        problem = webhook_url_problem(hook["url"]) if isinstance(hook, dict) else None
        if problem:
            raise InvalidInput("The webhook URL is refused.", [FieldError("/webhook/url", problem)])


def webhook_url_problem(url: str) -> str | None:
    """Why a webhook URL is refused, or None: HTTPS anywhere, plain HTTP only to loopback."""
    parts = urlsplit(url)
    if not parts.hostname:
        return "must be an absolute URL with a host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return "must use https (plain http only to a loopback address)"


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _webhook(raw: Any) -> Webhook | None:
    return Webhook(url=raw["url"], secret=new_secret()) if isinstance(raw, dict) else None


def _authorise(caller: Caller) -> None:
    if caller.principal.org_kind not in SUBSCRIBERS:
        kind = caller.principal.org_kind
        raise NotAllowed(f"A {kind} token may not subscribe to match notifications.")


async def _owned(tx: NotifierTransaction, caller: Caller, subscription_id: str) -> Subscription:
    _authorise(caller)
    try:
        key = str(uuid.UUID(subscription_id))
    except ValueError:
        raise NotFound("No subscription with this id.") from None
    subscription = await tx.subscription(key)
    if subscription is None or subscription.org_id != caller.principal.org:
        raise NotFound("No subscription with this id.")  # another's is not even visible
    return subscription


async def _audit(tx: NotifierTransaction, caller: Caller, action: str, record_id: str) -> None:
    await tx.append_audit([AuditEntry.by(caller, action, "subscription", record_id)])


def view(subscription: Subscription, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": subscription.id,
        "name": subscription.name,
        "organisation_id": subscription.org_id,
        "filters": filters_to_json(subscription.filters),
        "escalation_contact": subscription.escalation_contact,
        "webhook": None,
        "created_at": _time(subscription.created_at),
        "updated_at": _time(subscription.updated_at),
    }
    hook = subscription.webhook
    if hook is not None:
        out["webhook"] = {
            "url": hook.url,
            "enabled": hook.disabled_at is None,
            "disabled_at": _time(hook.disabled_at),
            "consecutive_failures": hook.failures,
        }
        if with_secret:
            out["webhook"]["secret"] = hook.secret
    return out


def _time(value: datetime | None) -> str | None:
    return format_time(value) if value is not None else None
