-- Newest incidents inside the scope ($4) whose external id is $1 or whose address or summary matches $2.
SELECT id, ST_X(geom), ST_Y(geom), source, external_id, category, subcategory, occurred_at, reported_at,
       address, summary, reporter_name, reporter_phone, severity, status, cell_code
FROM incidents
WHERE (external_id = $1 OR address LIKE $2 OR summary LIKE $2)
  AND ($4::text[] IS NULL OR cell_code LIKE ANY($4::text[]))
ORDER BY occurred_at DESC, id DESC
LIMIT $3
