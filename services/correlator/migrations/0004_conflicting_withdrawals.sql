-- An alert does not take two children at one place and time (issue 9): a match withdrawn because
-- its alert stands out for a better-ranked observation that cannot be the same child is
-- withdrawn as 'conflicting' (and proposed again when that observation no longer ranks above).
ALTER TABLE matches DROP CONSTRAINT matches_reason_check;
ALTER TABLE matches ADD CONSTRAINT matches_reason_check
    CHECK (reason IN ('outranked', 'below_threshold', 'alert_resolved', 'conflicting'));
