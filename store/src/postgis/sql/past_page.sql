-- One page of the filtered incidents, newest first, strictly before the cursor ($8 occurred_s, $9 id),
-- at most $10 rows.
WITH hits AS (/*hits*/)
SELECT id, ST_X(geom), ST_Y(geom), source, category, subcategory,
       floor(extract(epoch FROM occurred_at))::bigint AS occurred_s, floor(extract(epoch FROM reported_at))::bigint,
       severity, status, cell_code
FROM hits
WHERE $8::bigint IS NULL OR (floor(extract(epoch FROM occurred_at))::bigint, id) < ($8::bigint, $9::bigint)
ORDER BY occurred_s DESC, id DESC
LIMIT $10
