-- The stored incidents under the given idempotency keys ($1 sources, $2 external ids, pairwise).
SELECT id, ST_X(geom), ST_Y(geom), source, external_id, category, subcategory, occurred_at, reported_at,
       address, summary, reporter_name, reporter_phone, severity, status, cell_code
FROM incidents
WHERE (source, external_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
