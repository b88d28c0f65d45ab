-- The incidents a filter selects, for queries reaching before the in-memory window. Parameters:
-- $1 from, $2 to (timestamptz, NULL: open); $3 bbox [min_lon, min_lat, max_lon, max_lat] (NULL: any);
-- $4 categories, $5 statuses (NULL: any); $6, $7 cell-code ranges lo[i]..hi[i] (NULL: every cell).
-- Run unprepared, so each call is planned with its values (GiST on geom, btree on occurred_at).
-- `&&` compares float4 boxes (it may take a point a hair outside): the BETWEENs make it exact.
SELECT id, geom, source, category, subcategory, occurred_at, reported_at, severity, status, cell_code
FROM incidents
WHERE ($1::timestamptz IS NULL OR occurred_at >= $1::timestamptz)
  AND ($2::timestamptz IS NULL OR occurred_at < $2::timestamptz)
  AND ($3::float8[] IS NULL OR (geom && ST_MakeEnvelope($3[1], $3[2], $3[3], $3[4], 4326)
        AND ST_X(geom) BETWEEN $3[1] AND $3[3] AND ST_Y(geom) BETWEEN $3[2] AND $3[4]))
  AND ($4::text[] IS NULL OR category = ANY($4::text[]))
  AND ($5::text[] IS NULL OR status = ANY($5::text[]))
  AND ($6::text[] IS NULL OR EXISTS (
        SELECT 1 FROM unnest($6::text[], $7::text[]) AS r(lo, hi) WHERE cell_code BETWEEN r.lo AND r.hi))
