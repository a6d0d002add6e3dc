-- Removing audit entries past their retention period without the right to DELETE them: the
-- services' own roles have only SELECT and INSERT on audit_log (services.common.roles), and
-- call this function, which runs as its owner (the migration role). It does what
-- services.common.audit_chain.prune did: under the chain's append lock, it records a checkpoint
-- naming the last entry removed, then removes the prefix of the chain the checkpoint covers
-- (the guard trigger refuses any other DELETE), so `kinlink audit verify` still passes.
-- Only whole prefixes older than `cutoff` go; nothing else can be changed through it.
-- The search_path is pinned (the migration's: the schema, public, then pg_temp last), as a
-- SECURITY DEFINER function must, so a caller cannot substitute its own tables.
CREATE FUNCTION audit_prune(cutoff timestamptz)
    RETURNS TABLE (removed_count bigint, last_removed_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    newest record;
    n bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || '.audit_log', 0));
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
REVOKE EXECUTE ON FUNCTION audit_prune(timestamptz) FROM PUBLIC;
