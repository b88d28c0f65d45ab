-- A batch of incidents, one array per column, under the ids given in $19 (drawn before by
-- `draw_incident_ids`), and their idempotency keys. A key already stored or repeated in the
-- batch is an error (the keys' primary key, `incidents_source_external_id`): the store then
-- inserts the batch again with `insert_incidents_skipping`. Answers the number of rows created.
--
-- The arrays are unnested in the select list, not in FROM, and not sorted (the ids are given):
-- a function in FROM keeps its rows in a tuplestore and a sort holds them again, and a batch of
-- 10,000 rows outgrows the default 4 MB `work_mem`, so both went to disk.
WITH created AS (
  INSERT INTO incidents (
    id, geom, source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
    reporter_name, reporter_phone, severity, status, county_code, township_code, village_code, cell_code
  )
  SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326), source, external_id, category, subcategory, occurred_at,
         reported_at, address, summary, reporter_name, reporter_phone, severity, status,
         county_code, township_code, village_code, cell_code
  FROM (
    SELECT unnest($1::float8[]) AS lon, unnest($2::float8[]) AS lat, unnest($3::text[]) AS source,
           unnest($4::text[]) AS external_id, unnest($5::text[]) AS category, unnest($6::text[]) AS subcategory,
           unnest($7::timestamptz[]) AS occurred_at, unnest($8::timestamptz[]) AS reported_at,
           unnest($9::text[]) AS address, unnest($10::text[]) AS summary, unnest($11::text[]) AS reporter_name,
           unnest($12::text[]) AS reporter_phone, unnest($13::text[]) AS severity, unnest($14::text[]) AS status,
           unnest($15::text[]) AS county_code, unnest($16::text[]) AS township_code,
           unnest($17::text[]) AS village_code, unnest($18::text[]) AS cell_code, unnest($19::bigint[]) AS id
  ) given
  RETURNING id, source, external_id
), keyed AS (
  INSERT INTO incident_keys (source, external_id, id)
  SELECT source, external_id, id FROM created WHERE external_id IS NOT NULL
)
SELECT count(*) FROM created
