-- What the test consumer does for each event: one row per application of an event.
CREATE TABLE effects (
    id         bigserial PRIMARY KEY,
    event_id   text NOT NULL,
    event_type text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
