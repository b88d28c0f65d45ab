-- The incidents layer of vector tile $8/$9/$10 built in the database (ST_AsMVT), with the same
-- layer, properties and extent as the in-memory encoder: single points when $11 (zoom at or past
-- the raw zoom) or when at most $12 points fall in the tile itself (not its buffer); otherwise
-- one point per cell of a $13-pixel grid, at the cell's centre, with its count and most common
-- category.
-- `fid` becomes the feature id (absent on clusters); `id` stays a property, as in memory.
WITH hits AS (/*hits*/),
tile AS (SELECT ST_TileEnvelope($8::int, $9::int, $10::int) AS env),
points AS (
  SELECT h.id, h.category, h.status, h.severity, floor(extract(epoch FROM h.occurred_at))::bigint AS occurred_at,
         ST_AsMVTGeom(ST_Transform(h.geom, 3857), tile.env, 4096, 4096, false) AS px
  FROM hits h, tile),
inside AS (SELECT * FROM points WHERE ST_X(px) >= 0 AND ST_X(px) < 4096 AND ST_Y(px) >= 0 AND ST_Y(px) < 4096),
raw AS (SELECT $11::bool OR count(*) <= $12::bigint AS yes FROM inside),
features AS (
  SELECT id AS fid, id, category, status, severity, occurred_at, 1 AS count, false AS cluster, px AS geom
  FROM points, raw WHERE raw.yes AND px IS NOT NULL
  UNION ALL
  SELECT NULL, NULL, mode() WITHIN GROUP (ORDER BY category), NULL, NULL, NULL, count(*), true,
         ST_MakePoint(floor(ST_X(px) / $13::float8) * $13::float8 + $13::float8 / 2,
                      floor(ST_Y(px) / $13::float8) * $13::float8 + $13::float8 / 2)
  FROM inside, raw
  WHERE NOT raw.yes
  GROUP BY floor(ST_X(px) / $13::float8), floor(ST_Y(px) / $13::float8))
SELECT COALESCE((SELECT ST_AsMVT(features, 'incidents', 4096, 'geom', 'fid') FROM features), ''::bytea)
