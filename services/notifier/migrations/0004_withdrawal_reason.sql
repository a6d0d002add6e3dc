-- Why the correlator withdrew a match (match.withdrawn's `reason`: outranked, below_threshold,
-- alert_resolved, conflicting, erased, or one added later) and the match that superseded it,
-- so that investigators read why a proposal left their queue. Null while proposed.
ALTER TABLE matches ADD COLUMN withdrawn_reason text;
ALTER TABLE matches ADD COLUMN superseded_by uuid;
