"""One backoff policy for every retry loop: capped exponential delays with jitter.

Consumers retrying a transient database failure, the outbox relay waiting for the broker and
the notifier retrying a webhook all back off the same way, so that a recovering dependency is
not hit by every instance at the same moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import random


class Backoff:
    """Delays `initial`, `initial*factor`, ... up to `maximum`, each times a random factor in
    [1 - jitter, 1 + jitter]. `reset()` after a success starts again from `initial`."""

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 10.0,
        *,
        factor: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self._initial = initial
        self._maximum = maximum
        self._factor = factor
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._next = initial

    def reset(self) -> None:
        self._next = self._initial

    def next_delay(self) -> float:
        """The delay to wait now; the one after grows by `factor`, up to `maximum`."""
        base = self._next
        self._next = min(self._maximum, self._next * self._factor)
        return base * (1.0 + self._jitter * (2.0 * self._rng.random() - 1.0))

    async def wait(self, stop: asyncio.Event | None = None) -> float:
        """Sleep for the next delay, or until `stop` is set; return the delay chosen."""
        delay = self.next_delay()
        if stop is None:
            await asyncio.sleep(delay)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
        return delay
