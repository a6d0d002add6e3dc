-- Every revision of an alert as its event told it (published, updated, resolved), so that any
-- police unit reading a shared alert also sees how it came to be what it is. Append-only.
CREATE TABLE alert_history (
    alert_id    uuid        NOT NULL REFERENCES alerts (id),
    revision    integer     NOT NULL,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    org_id      text        NOT NULL,
    data        jsonb       NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, revision)
);
