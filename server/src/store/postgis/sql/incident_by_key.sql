-- The stored incident under an idempotency key.
SELECT id, ST_X(geom), ST_Y(geom), source, external_id, category, subcategory, occurred_at, reported_at,
       address, summary, reporter_name, reporter_phone, severity, status, cell_code
FROM incidents
WHERE source = $1 AND external_id = $2
