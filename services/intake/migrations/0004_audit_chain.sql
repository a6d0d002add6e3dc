-- Intake's audit log becomes hash-chained and prunable through checkpoints only
-- (services/common/migrations/0002_audit_chain.sql).
SELECT audit_chain_adopt();
