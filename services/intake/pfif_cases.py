"""Intake's PFIF use cases: export a page of the feed, import a partner's file, and keep the
investigators' match decisions (`match.reviewed`) that the export shows as PFIF links.

Export is authorised (police: their own records; investigators: all) and audited per exported
record (`pfif.export`, identifiers only). Import parses and checks the whole file first and
stores nothing unless every record is acceptable; then, in one transaction, each new partner
record becomes a sighting or an alert with its provenance, its audit entry (`pfif.import`) and
its event. A partner record imported before (same person_record_id, same kind) is left as is,
so re-importing a file creates no duplicates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.audit import AuditEntry
from services.common.auth import Caller
from services.common.catalog import ALERT_PUBLISHED, SIGHTING_REPORTED
from services.common.envelope import new_event
from services.common.errors import FieldError, InvalidInput, InvalidQuery, NotAllowed
from services.common.schema_registry import SchemaRegistry
from services.intake import validation as v
from services.intake.authz import Scope, allowed_scope
from services.intake.config import SOURCE_PREFIX, IntakeSettings
from services.intake.pfif.export import ExportSettings, to_person
from services.intake.pfif.importing import AS_TYPES, Candidate, Skipped, to_candidates
from services.intake.pfif.spec import VERSIONS
from services.intake.pfif.xmlio import parse, to_xml
from services.intake.repository import IntakeRepository, IntakeTransaction, Review

_KIND = {"sightings": "sighting", "alerts": "alert"}
_BODY_SCHEMA = {"sightings": v.SIGHTING_CREATE, "alerts": v.ALERT_CREATE}


@dataclass
class ImportReport:
    version: str
    created: list[dict[str, str]] = field(default_factory=list)
    unchanged: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "pfif_version": self.version,
            "created": self.created,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


class PfifCases:
    def __init__(
        self,
        repository: IntakeRepository,
        registry: SchemaRegistry,
        settings: IntakeSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repository = repository
        self._registry = registry
        self._clock = clock
        self._skew = timedelta(seconds=settings.clock_skew_seconds)
        self.export_settings = ExportSettings(
            domain=settings.pfif_domain,
            source_name=settings.pfif_source_name,
            expiry_days=settings.pfif_expiry_days,
            record_url=settings.pfif_record_url,
        )

    async def export(
        self,
        caller: Caller,
        *,
        version: str,
        min_entry_date: datetime | None,
        skip: int,
        max_results: int,
    ) -> bytes:
        """One page of the feed as a PFIF document, oldest entry first."""
        scope = allowed_scope(caller.principal, "pfif.export")
        if scope is None:
            raise NotAllowed(f"A {caller.principal.org_kind} token may not export PFIF.")
        if version not in VERSIONS:
            raise InvalidQuery("PFIF version must be 1.3 or 1.4.")
        org = caller.principal.org if scope is Scope.OWN else None
        async with self._repository.transaction() as tx:
            sources = await tx.pfif_page(
                org_id=org, min_entry=min_entry_date, skip=skip, limit=max_results
            )
            linked = {
                other
                for s in sources
                for link in s.links
                for other in (link.alert_id, link.observation_id)
            }
            ids = await tx.pfif_ids(sorted(linked))
            await tx.append_audit(
                [AuditEntry.by(caller, "pfif.export", s.record_type, s.record_id) for s in sources]
            )
        now = self._clock()
        persons = [to_person(s, self.export_settings, now, ids) for s in sources]
        return to_xml(persons, VERSIONS[version])

    def authorise_import(self, caller: Caller, as_type: str) -> None:
        """Refuse a caller who may not create what the file would become (checked before the
        body is even read)."""
        if as_type not in AS_TYPES:
            raise InvalidQuery("Import as sightings or alerts.")
        if allowed_scope(caller.principal, f"{_KIND[as_type]}.create") is None:
            raise NotAllowed(f"A {caller.principal.org_kind} token may not create {as_type}.")

    async def import_file(self, caller: Caller, data: bytes, as_type: str) -> ImportReport:
        """Store every new partner record of a PFIF file as a sighting or an alert."""
        self.authorise_import(caller, as_type)
        kind = _KIND[as_type]
        version, persons = parse(data)
        now = self._clock()
        results, errors = to_candidates(persons, as_type, self.export_settings.domain, now)
        positions = {p.record_id: p.position for p in persons}
        for result in results:
            if isinstance(result, Candidate):
                errors.extend(self._body_errors(result, as_type, positions, now))
        if errors:
            count = len(errors)
            raise InvalidInput(
                f"The PFIF file has {count} invalid field(s); nothing was imported.", errors
            )
        report = ImportReport(version.version)
        async with self._repository.transaction() as tx:
            for result in results:
                if isinstance(result, Skipped):
                    entry = {"person_record_id": result.person_record_id, "reason": result.reason}
                    report.skipped.append(entry)
                    continue
                existing = await tx.find_import(result.person_record_id, kind)
                done = {"person_record_id": result.person_record_id, f"{kind}_id": ""}
                if existing is not None:
                    report.unchanged.append({**done, f"{kind}_id": existing})
                    continue
                record_id = await self._store(tx, caller, kind, result)
                report.created.append({**done, f"{kind}_id": record_id})
        return report

    def _body_errors(
        self, candidate: Candidate, as_type: str, positions: dict[str, str], now: datetime
    ) -> list[FieldError]:
        try:
            v.check_body(self._registry, _BODY_SCHEMA[as_type], candidate.body, now, self._skew)
        except InvalidInput as exc:
            where = positions.get(candidate.person_record_id, "")
            return [
                FieldError(
                    f"{where}{e.pointer}",
                    f"person {candidate.person_record_id}: {e.pointer} {e.detail}",
                )
                for e in exc.errors
            ]
        return []

    async def _store(
        self, tx: IntakeTransaction, caller: Caller, kind: str, candidate: Candidate
    ) -> str:
        p = caller.principal
        record_id = str(uuid.uuid4())
        if kind == "alert":
            issuer = {"id": p.org, "country": p.country}
            data = {"alert_id": record_id, "issuing_authority": issuer, "status": "active"}
            data |= candidate.body
            await tx.insert_alert(record_id, p.org, data)
            ce_type = ALERT_PUBLISHED
        else:
            reporter = {"id": p.org, "kind": p.org_kind, "country": p.country}
            data = {"sighting_id": record_id, "reporter": reporter, **candidate.body}
            data |= candidate.extra
            await tx.insert_record("sighting", record_id, p.org, data)
            ce_type = SIGHTING_REPORTED
        await tx.save_import(candidate.person_record_id, kind, record_id, candidate.provenance)
        await tx.append_audit([AuditEntry.by(caller, "pfif.import", kind, record_id)])
        await tx.emit(new_event(ce_type, SOURCE_PREFIX + p.org, record_id, data))
        return record_id

    async def review_recorded(self, data: dict[str, Any], tx: IntakeTransaction) -> None:
        """A `match.reviewed` event: keep the decision for the PFIF links of both records."""
        await tx.save_review(
            Review(
                match_id=data["match_id"],
                alert_id=data["alert_id"],
                observation_type=data["observation"]["type"],
                observation_id=data["observation"]["id"],
                decision=data["decision"],
                reviewer_org=data["reviewer"]["organisation_id"],
                reviewed_at=datetime.fromisoformat(data["at"].replace("Z", "+00:00")),
            )
        )
