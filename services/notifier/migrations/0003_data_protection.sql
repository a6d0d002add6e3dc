-- Data protection (issue 10). Erased alerts and observations keep their routing ids, issuer,
-- category, status and times, but no place; a replayed event never restores what was erased.
-- A review warning (alert.review_due) is a notification about an alert, not about a match.
ALTER TABLE alert_context ADD COLUMN erased_at timestamptz;
ALTER TABLE observation_context ADD COLUMN erased_at timestamptz;
ALTER TABLE notifications ALTER COLUMN match_id DROP NOT NULL;
