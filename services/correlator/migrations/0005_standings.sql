-- One alert, one child, across time (issue 9): which alerts stand out for each observation in
-- its latest decision (proposed, or held back as 'conflicting'), so that an alert's other
-- observations of one kind can be weighed against a new one (`domain/identity.py`). Rewritten
-- whenever the observation is decided again; no personal data (ids and a score).
CREATE TABLE standings (
    alert_id  uuid             NOT NULL,
    obs_type  text             NOT NULL,
    obs_id    uuid             NOT NULL,
    match_id  uuid             NOT NULL,
    score     double precision NOT NULL,
    PRIMARY KEY (alert_id, obs_type, obs_id),
    FOREIGN KEY (obs_type, obs_id) REFERENCES observations (obs_type, obs_id) ON DELETE CASCADE
);
CREATE INDEX standings_observation ON standings (obs_type, obs_id);
