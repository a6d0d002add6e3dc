"""Intake's PFIF tables in PostgreSQL: the export feed over alerts, registrations and sightings
(ordered by entry time), match reviews consumed from Kafka, and import provenance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.intake.config import SCHEMA
from services.intake.pfif.records import ConfirmedLink, ExportSource, Provenance
from services.intake.repository import Review

S = f'"{SCHEMA}"'

# A record's entry time is its last change or the last review of one of its matches, so that a
# feed read from `min_entry_date` sees a record again when a confirmed link appears or goes.
_PAGE = f"""
WITH records AS (
    SELECT 'alert' AS record_type, id, org_id, data, status, resolution, created_at,
           updated_at AS changed_at FROM {S}.alerts
    UNION ALL
    SELECT 'registration', id, org_id, data, NULL, NULL, created_at, created_at
      FROM {S}.registrations
    UNION ALL
    SELECT 'sighting', id, org_id, data, NULL, NULL, created_at, created_at FROM {S}.sightings
), entries AS (
    SELECT r.*, greatest(r.changed_at, (
        SELECT max(m.stored_at) FROM {S}.match_reviews m
         WHERE m.alert_id = r.id OR m.observation_id = r.id)) AS entry_at
      FROM records r WHERE ($1::text IS NULL OR r.org_id = $1)
)
SELECT e.*, i.provenance FROM entries e
  LEFT JOIN {S}.pfif_imports i ON i.record_type = e.record_type AND i.record_id = e.id
 WHERE ($2::timestamptz IS NULL OR e.entry_at >= $2)
 ORDER BY e.entry_at, e.record_type, e.id OFFSET $3 LIMIT $4
"""


class PfifTables:
    """Mixed into intake's PostgreSQL transaction (postgres.py)."""

    _conn: asyncpg.Connection

    async def save_review(self, review: Review) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.match_reviews (match_id, alert_id, observation_type,"
            " observation_id, decision, reviewer_org, reviewed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (match_id) DO UPDATE SET"
            " decision = EXCLUDED.decision, reviewer_org = EXCLUDED.reviewer_org,"
            " reviewed_at = EXCLUDED.reviewed_at, stored_at = clock_timestamp()"
            " WHERE match_reviews.reviewed_at <= EXCLUDED.reviewed_at",
            review.match_id,
            review.alert_id,
            review.observation_type,
            review.observation_id,
            review.decision,
            review.reviewer_org,
            review.reviewed_at,
        )

    async def pfif_page(
        self, *, org_id: str | None, min_entry: datetime | None, skip: int, limit: int
    ) -> list[ExportSource]:
        rows = await self._conn.fetch(_PAGE, org_id, min_entry, skip, limit)
        links = await self._links([row["id"] for row in rows])
        return [
            ExportSource(
                record_type=row["record_type"],
                record_id=str(row["id"]),
                org_id=row["org_id"],
                data=row["data"],
                created_at=row["created_at"],
                entry_at=row["entry_at"],
                status=row["status"],
                resolution=row["resolution"],
                provenance=Provenance.from_json(row["provenance"]) if row["provenance"] else None,
                links=tuple(
                    link for link in links if str(row["id"]) in (link.alert_id, link.observation_id)
                ),
            )
            for row in rows
        ]

    async def _links(self, ids: Sequence[object]) -> list[ConfirmedLink]:
        rows = await self._conn.fetch(
            f"SELECT * FROM {S}.match_reviews WHERE decision = 'confirmed'"
            " AND (alert_id = ANY($1::uuid[]) OR observation_id = ANY($1::uuid[]))"
            " ORDER BY reviewed_at, match_id",
            list(ids),
        )
        return [
            ConfirmedLink(
                match_id=str(r["match_id"]),
                alert_id=str(r["alert_id"]),
                observation_type=r["observation_type"],
                observation_id=str(r["observation_id"]),
                reviewer_org=r["reviewer_org"],
                reviewed_at=r["reviewed_at"],
                stored_at=r["stored_at"],
            )
            for r in rows
        ]

    async def pfif_ids(self, record_ids: Sequence[str]) -> dict[tuple[str, str], str]:
        rows = await self._conn.fetch(
            f"SELECT record_type, record_id, person_record_id FROM {S}.pfif_imports"
            " WHERE record_id = ANY($1::uuid[])",
            list(record_ids),
        )
        return {(r["record_type"], str(r["record_id"])): r["person_record_id"] for r in rows}

    async def find_import(self, person_record_id: str, record_type: str) -> str | None:
        found = await self._conn.fetchval(
            f"SELECT record_id FROM {S}.pfif_imports"
            " WHERE person_record_id = $1 AND record_type = $2",
            person_record_id,
            record_type,
        )
        return str(found) if found is not None else None

    async def save_import(
        self, person_record_id: str, record_type: str, record_id: str, provenance: Provenance
    ) -> None:
        await self._conn.execute(
            f"INSERT INTO {S}.pfif_imports (person_record_id, record_type, record_id, provenance)"
            " VALUES ($1, $2, $3, $4)",
            person_record_id,
            record_type,
            record_id,
            provenance.to_json(),
        )
