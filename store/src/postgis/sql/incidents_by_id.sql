-- Full records of the given ids inside the caller's scope ($2: LIKE patterns on cell_code, NULL = everywhere).
SELECT id, ST_X(geom), ST_Y(geom), source, external_id, category, subcategory, occurred_at, reported_at,
       address, summary, reporter_name, reporter_phone, severity, status, cell_code
FROM incidents
WHERE id = ANY($1::bigint[]) AND ($2::text[] IS NULL OR cell_code LIKE ANY($2::text[]))
