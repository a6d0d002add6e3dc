"""The learning part of the in-memory correlator store (reviews with the levels the engine saw,
name-token counts), as `services/correlator/postgres_reviews.py` does it in PostgreSQL."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.correlator.repository import ObsRef, Pair, StoredReview


@dataclass
class ReviewRow:
    match_id: str
    decision: str
    at: datetime
    levels: dict[str, str] | None
    engine_version: str | None


@dataclass
class LearningTables:
    reviews: dict[Pair, ReviewRow] = field(default_factory=dict)
    token_counts: Counter[str] = field(default_factory=Counter)


class MemoryLearning:
    """Mixed into the fake's transaction, which provides `_tables` and `_check_open`."""

    _tables: LearningTables

    def _check_open(self) -> None:
        raise NotImplementedError  # provided by Closable, earlier in the transaction's bases

    def _remember_review(
        self,
        pair: Pair,
        match_id: str,
        decision: str,
        at: datetime,
        levels: dict[str, str] | None,
        engine_version: str | None,
    ) -> None:
        old = self._tables.reviews.get(pair)
        if old is not None and old.at > at:
            return  # an older decision arriving late does not replace a newer one
        self._tables.reviews[pair] = ReviewRow(
            match_id,
            decision,
            at,
            levels if levels is not None else (old.levels if old else None),
            engine_version if engine_version is not None else (old.engine_version if old else None),
        )

    async def reviews_for(self, refs: Sequence[ObsRef]) -> dict[ObsRef, dict[str, str]]:
        self._check_open()
        wanted = {(t, str(uuid.UUID(i))) for t, i in refs}
        out: dict[ObsRef, dict[str, str]] = {}
        for (alert_id, obs_type, obs_id), row in self._tables.reviews.items():
            if (obs_type, obs_id) in wanted:
                out.setdefault((obs_type, obs_id), {})[alert_id] = row.decision
        return out

    async def stored_reviews(self) -> list[StoredReview]:
        self._check_open()
        rows = sorted(self._tables.reviews.items(), key=lambda item: (item[1].at, item[0]))
        return [
            StoredReview(pair[1], row.decision, dict(row.levels), row.engine_version)
            for pair, row in rows
            if row.levels is not None
        ]

    async def count_name_tokens(self, keys: Sequence[str]) -> None:
        self._check_open()
        self._tables.token_counts.update(set(keys))

    async def name_token_counts(self) -> dict[str, int]:
        self._check_open()
        return dict(self._tables.token_counts)
