-- A batch of incidents as `insert_incidents`, skipping every key already stored and every
-- repeat of a key in the batch (its first row is inserted). Ids are drawn in array order for
-- every row; those of skipped rows are left unused. Answers each created row's id and key.
WITH given AS MATERIALIZED (
  SELECT nextval('incidents_id_seq') AS id, *
  FROM (
    SELECT * FROM unnest($1::float8[], $2::float8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                         $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                         $15::text[], $16::text[], $17::text[], $18::text[])
      WITH ORDINALITY AS given (lon, lat, source, external_id, category, subcategory, occurred_at, reported_at,
           address, summary, reporter_name, reporter_phone, severity, status,
           county_code, township_code, village_code, cell_code, ord)
    ORDER BY ord
  ) in_order
), keyed AS (
  INSERT INTO incident_keys (source, external_id, id)
  SELECT source, external_id, id FROM given WHERE external_id IS NOT NULL ORDER BY id
  ON CONFLICT DO NOTHING
  RETURNING id
)
INSERT INTO incidents (
  id, geom, source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
  reporter_name, reporter_phone, severity, status, county_code, township_code, village_code, cell_code
)
SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326), source, external_id, category, subcategory, occurred_at,
       reported_at, address, summary, reporter_name, reporter_phone, severity, status,
       county_code, township_code, village_code, cell_code
FROM given
WHERE external_id IS NULL OR id IN (SELECT id FROM keyed)
ORDER BY id
RETURNING id, source, external_id
