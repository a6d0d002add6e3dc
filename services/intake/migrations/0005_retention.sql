-- Retention on the Schengen (SIS) model: every alert has a review date, set by the retention job
-- from its category's period (configuration, hence not a default here); the issuer is warned
-- before it and may extend; expired or long-ended alerts, and observations no open alert needs,
-- have their personal data erased (the row keeps id, organisation, category, status and dates).
ALTER TABLE alerts
    ADD COLUMN category          text,
    ADD COLUMN review_due_at     timestamptz,
    ADD COLUMN review_warned_for timestamptz,  -- the review date the issuer was warned about
    ADD COLUMN extensions        integer     NOT NULL DEFAULT 0,
    ADD COLUMN resolved_at       timestamptz,
    ADD COLUMN erased_at         timestamptz;
UPDATE alerts SET category = data->>'category';
UPDATE alerts SET resolved_at = coalesce((resolution->>'at')::timestamptz, updated_at)
    WHERE status = 'resolved';
CREATE INDEX alerts_retention ON alerts (review_due_at) WHERE erased_at IS NULL;

ALTER TABLE registrations ADD COLUMN erased_at timestamptz;
ALTER TABLE sightings ADD COLUMN erased_at timestamptz;
CREATE INDEX registrations_retention ON registrations (created_at) WHERE erased_at IS NULL;
CREATE INDEX sightings_retention ON sightings (created_at) WHERE erased_at IS NULL;

-- Which observations the correlator links to which alert (its latest word on each match), so
-- that an observation an open alert still needs is never erased.
CREATE TABLE observation_links (
    match_id  uuid    PRIMARY KEY,
    alert_id  uuid    NOT NULL,
    obs_type  text    NOT NULL,
    obs_id    uuid    NOT NULL,
    revision  integer NOT NULL,
    status    text    NOT NULL CHECK (status IN ('proposed', 'withdrawn'))
);
CREATE INDEX observation_links_by_observation ON observation_links (obs_type, obs_id);
CREATE INDEX observation_links_by_alert ON observation_links (alert_id);
