-- The incident stored under (source, external_id): the unique key's index.
SELECT id FROM incidents WHERE source = $1 AND external_id = $2
