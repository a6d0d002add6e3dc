-- PFIF exchange. Where an imported record came from (the partner's person_record_id and source
-- fields), one row per partner record and import kind: re-importing a file creates nothing new.
CREATE TABLE pfif_imports (
    person_record_id text        NOT NULL,
    record_type      text        NOT NULL CHECK (record_type IN ('alert', 'sighting')),
    record_id        uuid        NOT NULL,
    provenance       jsonb       NOT NULL,
    imported_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_record_id, record_type)
);
CREATE UNIQUE INDEX pfif_imports_by_record ON pfif_imports (record_type, record_id);

-- Investigators' decisions on matches (match.reviewed, consumed from kinlink.reviews), the
-- latest per match: confirmed ones are exported as PFIF links between the two records.
CREATE TABLE match_reviews (
    match_id         uuid        PRIMARY KEY,
    alert_id         uuid        NOT NULL,
    observation_type text        NOT NULL CHECK (observation_type IN ('registration', 'sighting')),
    observation_id   uuid        NOT NULL,
    decision         text        NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
    reviewer_org     text        NOT NULL,
    reviewed_at      timestamptz NOT NULL,
    stored_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX match_reviews_by_alert ON match_reviews (alert_id);
CREATE INDEX match_reviews_by_observation ON match_reviews (observation_id);
