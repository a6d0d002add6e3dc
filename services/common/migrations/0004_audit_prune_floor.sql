-- A floor under audit pruning: whoever calls audit_prune (each service's own role may), no
-- entry younger than the floor goes, so a service's stolen credentials cannot wipe the recent
-- record of who read what. The cutoff asked for is lowered to the floor, measured by the
-- database's clock. Only the owner can change the floor (the services' roles may read it).
CREATE TABLE audit_policy (
    only_row    boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    min_age     interval    NOT NULL CHECK (min_age >= interval '0')
);
INSERT INTO audit_policy (min_age) VALUES (interval '365 days');

CREATE OR REPLACE FUNCTION audit_prune(cutoff timestamptz)
    RETURNS TABLE (removed_count bigint, last_removed_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    newest record;
    n bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || '.audit_log', 0));
    SELECT least(cutoff, now() - p.min_age) INTO cutoff FROM audit_policy p;
    SELECT a.id, a.at, a.hash INTO newest FROM audit_log a
        WHERE a.at < cutoff ORDER BY a.id DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 0::bigint, NULL::bigint;
        RETURN;
    END IF;
    SELECT count(*) INTO n FROM audit_log a WHERE a.id <= newest.id;
    INSERT INTO audit_checkpoints (through_id, through_at, through_hash, removed, removed_total)
        SELECT newest.id, newest.at, newest.hash, n, coalesce(max(c.removed_total), 0) + n
        FROM audit_checkpoints c;
    DELETE FROM audit_log a WHERE a.id <= newest.id;
    RETURN QUERY SELECT n, newest.id::bigint;
END $$;
