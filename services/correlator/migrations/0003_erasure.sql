-- Data protection (issue 10): erased records keep their ids and dates but no personal data;
-- an erased alert leaves every instance's in-memory index at its next catch-up (its change_seq
-- moves); an erased observation is never a candidate again (no blocking keys). The correlator
-- audits the erasures it applies in its own hash-chained audit log.
ALTER TABLE alerts ADD COLUMN erased_at timestamptz;
ALTER TABLE observations ADD COLUMN erased_at timestamptz;

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
SELECT audit_chain_adopt();
