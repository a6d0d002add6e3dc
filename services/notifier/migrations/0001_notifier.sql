-- The notifier's own state. It stores no child's personal data: for alerts and observations
-- only what routing and deadlines need (issuer, category, places and times), never names,
-- birth data or free text; details are fetched from intake's audited read API on demand.

-- Investigators' (and police units') subscriptions, owned by an organisation.
CREATE TABLE subscriptions (
    id                  uuid        PRIMARY KEY,
    org_id              text        NOT NULL,
    org_kind            text        NOT NULL,
    created_by          text        NOT NULL,
    name                text        NOT NULL,
    filters             jsonb       NOT NULL,
    escalation_contact  boolean     NOT NULL DEFAULT false,
    webhook_url         text,
    webhook_secret      text,
    webhook_failures    integer     NOT NULL DEFAULT 0,
    webhook_disabled_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_by_org ON subscriptions (org_id, created_at);

-- What an alert or an observation tells routing: where, when, whose, which category.
CREATE TABLE alert_context (
    alert_id      uuid        PRIMARY KEY,
    authority_id  text        NOT NULL,
    country       text        NOT NULL,
    category      text        NOT NULL,
    status        text        NOT NULL,
    last_seen     jsonb       NOT NULL,  -- {"at", "location": {"lat", "lon", "place", "country"}}
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE observation_context (
    obs_type      text        NOT NULL,
    obs_id        uuid        NOT NULL,
    org_id        text        NOT NULL,
    seen          jsonb       NOT NULL,  -- {"at", "location": {...}}
    PRIMARY KEY (obs_type, obs_id)
);

-- Each match as the correlator last described it, with the review and escalation state.
CREATE TABLE matches (
    match_id          uuid        PRIMARY KEY,
    alert_id          uuid        NOT NULL,
    obs_type          text        NOT NULL,
    obs_id            uuid        NOT NULL,
    revision          integer     NOT NULL,
    status            text        NOT NULL CHECK (status IN ('proposed', 'withdrawn')),
    score             double precision,
    explanation       jsonb       NOT NULL DEFAULT '[]',
    engine_version    text        NOT NULL,
    first_proposed_at timestamptz NOT NULL,
    changed_at        timestamptz NOT NULL,
    routed_revision   integer     NOT NULL DEFAULT 0,
    decision          text CHECK (decision IN ('confirmed', 'rejected')),
    reviewed_at       timestamptz,
    escalated_at      timestamptz
);
CREATE INDEX matches_by_alert ON matches (alert_id);
CREATE INDEX matches_by_observation ON matches (obs_type, obs_id);
CREATE INDEX matches_open_by_age ON matches (first_proposed_at)
    WHERE status = 'proposed' AND decision IS NULL AND escalated_at IS NULL;

-- Every notification, once per (match revision, kind, recipient): `id` is stable, `seq` orders
-- them for SSE ids and polling (assigned under a lock, so in commit order).
CREATE TABLE notifications (
    seq             bigserial   PRIMARY KEY,
    id              uuid        NOT NULL UNIQUE,
    recipient_org   text        NOT NULL,
    subscription_id uuid,
    match_id        uuid        NOT NULL,
    kind            text        NOT NULL,
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_by_recipient ON notifications (recipient_org, seq);
CREATE INDEX notifications_by_match ON notifications (match_id, recipient_org);

-- Webhook deliveries: pending until the receiver answers 2xx; every attempt is logged.
CREATE TABLE webhook_deliveries (
    notification_id uuid        PRIMARY KEY,
    subscription_id uuid        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'delivered')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE TABLE delivery_attempts (
    id              bigserial   PRIMARY KEY,
    notification_id uuid        NOT NULL,
    subscription_id uuid        NOT NULL,
    attempt         integer     NOT NULL,
    at              timestamptz NOT NULL,
    status_code     integer,
    error           text,
    duration_ms     double precision NOT NULL
);
CREATE INDEX delivery_attempts_by_subscription ON delivery_attempts (subscription_id, id);

-- Investigators' decisions, newest last (an override adds a row).
CREATE TABLE reviews (
    id              bigserial   PRIMARY KEY,
    match_id        uuid        NOT NULL,
    revision        integer     NOT NULL,
    decision        text        NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
    reviewer        text        NOT NULL,
    org_id          text        NOT NULL,
    override_reason text,
    at              timestamptz NOT NULL
);
CREATE INDEX reviews_by_match ON reviews (match_id, id);

-- The first outcome of a keyed request, replayed to retries from the same organisation.
CREATE TABLE idempotency_keys (
    org_id       text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    effect       text        NOT NULL,
    body         jsonb       NOT NULL,
    record_type  text,
    record_id    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);

-- Who did what (subscriptions, reviews, re-enabled endpoints). Append-only, as in intake.
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
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
