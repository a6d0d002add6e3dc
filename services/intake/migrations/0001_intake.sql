-- Intake's own records. `data` holds the record as its event describes it (for an alert: the
-- published data with every accepted change applied), so reads and events never disagree.
CREATE TABLE alerts (
    id          uuid        PRIMARY KEY,
    org_id      text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('active', 'resolved')),
    data        jsonb       NOT NULL,
    resolution  jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_by_org_updated ON alerts (org_id, updated_at, id);
CREATE INDEX alerts_by_updated ON alerts (updated_at, id);

CREATE TABLE registrations (
    id          uuid        PRIMARY KEY,
    org_id      text        NOT NULL,
    data        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registrations_by_org ON registrations (org_id, created_at);

CREATE TABLE sightings (
    id          uuid        PRIMARY KEY,
    org_id      text        NOT NULL,
    data        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sightings_by_org ON sightings (org_id, created_at);

-- The first response to a keyed request, replayed to retries from the same organisation.
CREATE TABLE idempotency_keys (
    org_id       text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status       integer     NOT NULL,
    body         jsonb       NOT NULL,
    location     text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);

-- Who did what to which record, when, in which request. Append-only: the trigger below makes
-- UPDATE, DELETE and TRUNCATE fail for every role, the table owner included.
CREATE TABLE audit_log (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    org_id      text        NOT NULL,
    org_kind    text        NOT NULL,
    subject     text        NOT NULL,
    action      text        NOT NULL,
    record_type text        NOT NULL,
    record_id   text        NOT NULL,
    request_id  text        NOT NULL
);
CREATE INDEX audit_by_record ON audit_log (record_id, id);
CREATE INDEX audit_by_org ON audit_log (org_id, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
