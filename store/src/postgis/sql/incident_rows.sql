-- Index fields of the incidents with ids in [$1, $2] that occurred at or after $3 (NULL: any time), in id order.
SELECT id, ST_X(geom), ST_Y(geom), source, category, subcategory,
       floor(extract(epoch FROM occurred_at))::bigint, floor(extract(epoch FROM reported_at))::bigint,
       severity, status, cell_code
FROM incidents
WHERE id BETWEEN $1 AND $2 AND ($3::timestamptz IS NULL OR occurred_at >= $3)
ORDER BY id
