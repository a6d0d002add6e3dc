-- Competing proposals (issue 9): a match stands proposed or was withdrawn; alerts remember when
-- they were resolved (they keep competing for observations made before); reviews keep the
-- comparison levels the engine saw (for refitting); name tokens are counted as records arrive.

ALTER TABLE matches ADD COLUMN status text NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'withdrawn'));
ALTER TABLE matches ADD COLUMN reason text
    CHECK (reason IN ('outranked', 'below_threshold', 'alert_resolved'));
-- An observation's matches are read and re-decided together.
CREATE INDEX matches_observation ON matches (obs_type, obs_id);

ALTER TABLE alerts ADD COLUMN resolved_at timestamptz;
UPDATE alerts SET resolved_at = updated_at WHERE status = 'resolved';

-- The latest decision of an investigator on each pair, with what the engine saw of it.
CREATE TABLE reviews (
    alert_id       uuid        NOT NULL,
    obs_type       text        NOT NULL,
    obs_id         uuid        NOT NULL,
    match_id       uuid        NOT NULL,
    decision       text        NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
    reviewed_at    timestamptz NOT NULL,
    levels         jsonb,
    engine_version text,
    PRIMARY KEY (alert_id, obs_type, obs_id)
);
CREATE INDEX reviews_observation ON reviews (obs_type, obs_id);
INSERT INTO reviews (alert_id, obs_type, obs_id, match_id, decision, reviewed_at)
    SELECT alert_id, obs_type, obs_id, match_id, 'rejected', rejected_at FROM rejected_pairs;

-- How many stored records carry each name-token key (learned name frequencies).
CREATE TABLE name_token_counts (
    token_key text   PRIMARY KEY,
    records   bigint NOT NULL
);
