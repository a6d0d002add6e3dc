-- A keyed request's first outcome is stored as the use case saw it (what happened, to which
-- record), not as HTTP: the HTTP adapter derives the status and Location header from it.
ALTER TABLE idempotency_keys
    ADD COLUMN effect      text,
    ADD COLUMN record_type text,
    ADD COLUMN record_id   text;
UPDATE idempotency_keys SET
    effect = CASE WHEN status = 201 THEN 'created' ELSE 'changed' END,
    record_type = CASE split_part(location, '/', 3)
        WHEN 'alerts' THEN 'alert'
        WHEN 'registrations' THEN 'registration'
        WHEN 'sightings' THEN 'sighting'
    END,
    record_id = NULLIF(split_part(location, '/', 4), '');
ALTER TABLE idempotency_keys
    ALTER COLUMN effect SET NOT NULL,
    ADD CONSTRAINT idempotency_effect CHECK (effect IN ('created', 'changed')),
    DROP COLUMN status,
    DROP COLUMN location;
