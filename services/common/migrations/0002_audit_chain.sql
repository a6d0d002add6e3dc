-- The tamper-evident audit log every service that audits shares (services/common/audit_chain.py
-- is the Python side). Each service's `audit_log` adopts it with `SELECT audit_chain_adopt();`
-- in one of its own migrations; this file only defines the functions and the checkpoint table,
-- which are harmless in a schema without an audit log.
--
-- Each entry carries `prev_hash` (the hash of the entry before it, or of the last removed entry
-- recorded in the latest checkpoint, or 64 zeros) and `hash` = SHA-256 over the canonical text of
-- the entry and `prev_hash`. The chain is made by a BEFORE INSERT trigger under a transaction-level
-- advisory lock, which also assigns `id` and `at`: appends are serialised, ids follow the chain.
-- The functions keep the migration's search_path, so they find their schema's tables whatever
-- the caller's search_path.

-- Canonical text: every field as <length>:<value> (or "-" for null), joined by "|"; the time in
-- UTC with microseconds. Length-prefixing makes the text unambiguous whatever the values hold.
CREATE FUNCTION audit_field(value text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN '-' ELSE length(value)::text || ':' || value END
$$;

CREATE FUNCTION audit_entry_hash(
    e_id bigint, e_at timestamptz, e_org_id text, e_org_kind text, e_subject text,
    e_action text, e_record_type text, e_record_id text, e_request_id text, e_detail text,
    e_prev_hash text
) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path FROM CURRENT AS $$
    SELECT encode(sha256(convert_to(concat_ws('|',
        audit_field(e_id::text),
        audit_field(to_char(e_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
        audit_field(e_org_id), audit_field(e_org_kind), audit_field(e_subject),
        audit_field(e_action), audit_field(e_record_type), audit_field(e_record_id),
        audit_field(e_request_id), audit_field(e_detail), audit_field(e_prev_hash)
    ), 'UTF8')), 'hex')
$$;

-- Entries removed after the retention period leave a checkpoint: the id and hash of the last
-- one removed, from which `kinlink audit verify` continues the chain. Append-only as well.
CREATE TABLE audit_checkpoints (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    through_id    bigint      NOT NULL,
    through_at    timestamptz NOT NULL,
    through_hash  text        NOT NULL,
    removed       bigint      NOT NULL,
    removed_total bigint      NOT NULL
);

CREATE FUNCTION audit_chain_link() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    previous text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(TG_TABLE_SCHEMA || '.audit_log', 0));
    SELECT hash INTO previous FROM audit_log ORDER BY id DESC LIMIT 1;
    IF previous IS NULL THEN
        SELECT through_hash INTO previous FROM audit_checkpoints ORDER BY id DESC LIMIT 1;
    END IF;
    -- Assigned under the lock, so that id order is chain order (a default would be taken
    -- before the lock, and two concurrent appends could chain out of id order).
    NEW.id := nextval(pg_get_serial_sequence(TG_TABLE_SCHEMA || '.audit_log', 'id'));
    NEW.at := now();  -- the time of the transaction, as for the change it records
    NEW.prev_hash := coalesce(previous, repeat('0', 64));
    NEW.hash := audit_entry_hash(NEW.id, NEW.at, NEW.org_id, NEW.org_kind, NEW.subject,
        NEW.action, NEW.record_type, NEW.record_id, NEW.request_id, NEW.detail, NEW.prev_hash);
    RETURN NEW;
END $$;

-- UPDATE and TRUNCATE are refused for every role, the owner and superusers included; DELETE only
-- of entries a checkpoint already covers (the retention job writes the checkpoint first).
CREATE FUNCTION audit_log_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.id <= (SELECT coalesce(max(through_id), 0) FROM audit_checkpoints)
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

-- A checkpoint must name an existing entry by its true hash, and never go backwards.
CREATE FUNCTION audit_checkpoint_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'audit_checkpoints is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.through_id
                   AND hash = NEW.through_hash AND at = NEW.through_at)
       OR NEW.through_id <= (SELECT coalesce(max(through_id), 0) FROM audit_checkpoints) THEN
        RAISE EXCEPTION 'audit checkpoint does not name the next entries of the chain'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_checkpoints_guard BEFORE INSERT ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_guard();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_guard();

-- Turns the schema's audit_log into a chained one: adds the columns, chains the entries it
-- already holds (in id order), and replaces the older append-only triggers by the chain's own.
CREATE FUNCTION audit_chain_adopt() RETURNS void
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    entry record;
    previous text := repeat('0', 64);
    current_hash text;
BEGIN
    DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log;
    DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
    DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
    DROP FUNCTION IF EXISTS audit_log_is_append_only();
    ALTER TABLE audit_log
        ADD COLUMN IF NOT EXISTS detail text,
        ADD COLUMN IF NOT EXISTS prev_hash text,
        ADD COLUMN IF NOT EXISTS hash text;
    FOR entry IN SELECT * FROM audit_log ORDER BY id LOOP
        current_hash := audit_entry_hash(entry.id, entry.at, entry.org_id, entry.org_kind,
            entry.subject, entry.action, entry.record_type, entry.record_id, entry.request_id,
            entry.detail, previous);
        UPDATE audit_log SET prev_hash = previous, hash = current_hash WHERE id = entry.id;
        previous := current_hash;
    END LOOP;
    -- The chain trigger takes the id from the sequence under its lock: no default spends one.
    ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL,
        ALTER COLUMN id DROP DEFAULT;
    CREATE INDEX IF NOT EXISTS audit_by_at ON audit_log (at, id);
    CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_chain_link();
    CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();
END $$;
