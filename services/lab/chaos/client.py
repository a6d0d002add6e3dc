"""The partners' side: post the planned requests to intake in order, as a real client would.

A request that fails without an answer (refused, reset, timed out) or with a 5xx/429 is sent
again with the same `Idempotency-Key` until intake answers, for up to `give_up` seconds; so
"accepted" means answered 2xx, and a retry can never create a second record.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp

from services.common.auth import issue_token
from services.lab.chaos.faults import Progress
from services.lab.chaos.requests import Caller, PlannedRequest

_RETRY_STATUSES = {408, 425, 429}


@dataclass(frozen=True)
class Answer:
    request: PlannedRequest
    status: int | None  # None: never answered before giving up
    record_id: str | None  # intake's id of the record made or changed
    attempts: int


@dataclass
class ClientLog:
    """What the client saw: answers in request order, and intake's id of each scenario record."""

    answers: list[Answer] = field(default_factory=list)
    intake_ids: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> list[Answer]:
        return [a for a in self.answers if a.status is not None and 200 <= a.status < 300]

    @property
    def retried(self) -> int:
        return sum(a.attempts - 1 for a in self.answers)


class Tokens:
    """One bearer token per organisation, signed with the run's key."""

    def __init__(self, key: object, kid: str) -> None:
        self._key, self._kid = key, kid
        self._issued: dict[Caller, str] = {}

    def __call__(self, caller: Caller) -> str:
        if caller not in self._issued:
            self._issued[caller] = issue_token(
                self._key,  # type: ignore[arg-type]
                self._kid,
                org=caller.org,
                org_kind=caller.kind,
                country=caller.country,
                subject=f"{caller.org}/chaos",
                ttl=timedelta(hours=12),
            )
        return self._issued[caller]


async def post_all(
    base_url: str,
    planned: list[PlannedRequest],
    tokens: Tokens,
    *,
    run_id: str,
    rate: float,
    give_up: float = 180.0,
    progress: Progress | None = None,
) -> ClientLog:
    """Send every request in order at about `rate` per second; return what was answered."""
    log = ClientLog()
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(base_url=base_url, timeout=timeout) as http:
        for request in planned:
            started = time.monotonic()
            answer = await _send(http, request, tokens, log, f"{run_id}-{request.index}", give_up)
            log.answers.append(answer)
            if answer.record_id and answer.status and answer.status < 300:
                log.intake_ids.setdefault(request.target, answer.record_id)
            if progress is not None:
                await progress.advance()
            await asyncio.sleep(max(0.0, 1.0 / rate - (time.monotonic() - started)))
    return log


async def _send(
    http: aiohttp.ClientSession,
    request: PlannedRequest,
    tokens: Tokens,
    log: ClientLog,
    key: str,
    give_up: float,
) -> Answer:
    target = request.method_and_path(log.intake_ids)
    if target is None:
        return Answer(request, 0, None, 0)  # names an alert that was never accepted
    method, path = target
    headers = {"Authorization": f"Bearer {tokens(request.caller)}", "Idempotency-Key": key}
    body = request.final_body(log.intake_ids)
    deadline = time.monotonic() + give_up
    attempts, delay = 0, 0.2
    while True:
        attempts += 1
        try:
            async with http.request(method, path, json=body, headers=headers) as response:
                payload = await response.json(content_type=None)
                status = response.status
            if status < 500 and status not in _RETRY_STATUSES:
                record_id = payload.get(f"{request.record_type}_id") if status < 300 else None
                return Answer(request, status, record_id, attempts)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            pass  # no answer (or half of one): the same key again
        if time.monotonic() > deadline:
            return Answer(request, None, None, attempts)
        await asyncio.sleep(delay)
        delay = min(2.0, delay * 1.5)
