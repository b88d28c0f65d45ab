-- After a restore wrote incidents with their ids: their idempotency keys.
INSERT INTO incident_keys (source, external_id, id)
SELECT source, external_id, id FROM incidents WHERE external_id IS NOT NULL
