-- The incident stored under (source, external_id): the keys' primary key.
SELECT id FROM incident_keys WHERE source = $1 AND external_id = $2
