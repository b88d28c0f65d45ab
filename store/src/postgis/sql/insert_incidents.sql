-- A batch of incidents, one array per column, inserted in array order (so ids increase in that
-- order), and their idempotency keys. A key already stored or repeated in the batch is an error
-- (the keys' primary key, `incidents_source_external_id`): the store then inserts the batch
-- again with `insert_incidents_skipping`. Answers each created row's id and key.
WITH created AS (
  INSERT INTO incidents (
    geom, source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
    reporter_name, reporter_phone, severity, status, county_code, township_code, village_code, cell_code
  )
  SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326), source, external_id, category, subcategory, occurred_at,
         reported_at, address, summary, reporter_name, reporter_phone, severity, status,
         county_code, township_code, village_code, cell_code
  FROM unnest($1::float8[], $2::float8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
              $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
              $15::text[], $16::text[], $17::text[], $18::text[])
    WITH ORDINALITY AS given (lon, lat, source, external_id, category, subcategory, occurred_at, reported_at,
         address, summary, reporter_name, reporter_phone, severity, status,
         county_code, township_code, village_code, cell_code, ord)
  ORDER BY ord
  RETURNING id, source, external_id
), keyed AS (
  INSERT INTO incident_keys (source, external_id, id)
  SELECT source, external_id, id FROM created WHERE external_id IS NOT NULL
)
SELECT id, source, external_id FROM created
