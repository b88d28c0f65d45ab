-- The incidents a filter selects, for queries reaching before the in-memory window. Parameters:
-- $1 from, $2 to (timestamptz, NULL: open); $3 bbox [min_lon, min_lat, max_lon, max_lat] (NULL: any);
-- $4 categories, $5 statuses (NULL: any); $6, $7 cell-code ranges lo[i]..hi[i], disjoint (NULL:
-- every cell), selected by `/*from*/` and `/*and*/` (`past_cells_one.sql`: a predicate, tested after
-- the time; `past_cells_many.sql`: a join).
-- Run unprepared, so each call is planned with its values (GiST on geom, btree on occurred_at or
-- on (cell_code, occurred_at)).
-- `&&` compares float4 boxes (it may take a point a hair outside): the BETWEENs make it exact.
SELECT i.id, i.geom, i.source, i.category, i.subcategory, i.occurred_at, i.reported_at, i.severity, i.status,
       i.cell_code
FROM /*from*/
WHERE ($1::timestamptz IS NULL OR i.occurred_at >= $1::timestamptz)
  AND ($2::timestamptz IS NULL OR i.occurred_at < $2::timestamptz)
  AND ($3::float8[] IS NULL OR (i.geom && ST_MakeEnvelope($3[1], $3[2], $3[3], $3[4], 4326)
        AND ST_X(i.geom) BETWEEN $3[1] AND $3[3] AND ST_Y(i.geom) BETWEEN $3[2] AND $3[4]))
  AND ($4::text[] IS NULL OR i.category = ANY($4::text[]))
  AND ($5::text[] IS NULL OR i.status = ANY($5::text[]))
  /*and*/
