-- The correlator's own state. Every instance of the consumer group shares it.

-- Alerts as currently known (published data with updates merged). `change_seq` orders changes
-- in commit order (alert changes are serialised by an advisory lock), so every instance can
-- catch its in-memory index up with "changes after the last one I applied".
CREATE SEQUENCE alert_change_seq;
CREATE TABLE alerts (
    alert_id      uuid PRIMARY KEY,
    status        text        NOT NULL CHECK (status IN ('active', 'resolved')),
    data          jsonb       NOT NULL,
    published_at  timestamptz NOT NULL,
    last_seen_at  timestamptz,
    resolution    text,
    change_seq    bigint      NOT NULL DEFAULT nextval('alert_change_seq'),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_change_seq ON alerts (change_seq);

-- Registrations and sightings, kept so a new or updated alert can be matched against the past.
-- `blocking_keys` are the engine's candidate keys; the GIN index makes "observations sharing a
-- key with this alert since it was last seen" an indexed query at any volume.
CREATE TABLE observations (
    obs_type       text        NOT NULL CHECK (obs_type IN ('registration', 'sighting')),
    obs_id         uuid        NOT NULL,
    observed_at    timestamptz NOT NULL,
    data           jsonb       NOT NULL,
    blocking_keys  text[]      NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (obs_type, obs_id)
);
CREATE INDEX observations_keys ON observations USING gin (blocking_keys);
CREATE INDEX observations_time ON observations (observed_at);

-- Proposed matches, one row per (alert, observation) pair, with the latest revision published.
CREATE TABLE matches (
    match_id       uuid PRIMARY KEY,
    alert_id       uuid        NOT NULL,
    obs_type       text        NOT NULL,
    obs_id         uuid        NOT NULL,
    revision       integer     NOT NULL,
    score          double precision NOT NULL,
    explanation    jsonb       NOT NULL,
    engine_version text        NOT NULL,
    review         text CHECK (review IN ('confirmed', 'rejected')),
    reviewed_at    timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (alert_id, obs_type, obs_id)
);

-- A pair an investigator rejected is never proposed again, even before its match row exists
-- (a review may be consumed before the proposal it answers, on another partition).
CREATE TABLE rejected_pairs (
    alert_id    uuid NOT NULL,
    obs_type    text NOT NULL,
    obs_id      uuid NOT NULL,
    match_id    uuid NOT NULL,
    rejected_at timestamptz NOT NULL,
    PRIMARY KEY (alert_id, obs_type, obs_id)
);
