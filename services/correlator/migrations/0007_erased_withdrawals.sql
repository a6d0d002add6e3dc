-- A match whose alert or observation had its personal data erased is withdrawn as 'erased'
-- (nobody can review a pair whose records are gone); reviewed matches are left alone.
ALTER TABLE matches DROP CONSTRAINT matches_reason_check;
ALTER TABLE matches ADD CONSTRAINT matches_reason_check
    CHECK (reason IN ('outranked', 'below_threshold', 'alert_resolved', 'conflicting', 'erased'));
