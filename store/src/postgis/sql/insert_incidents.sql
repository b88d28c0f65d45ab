-- A batch of incidents, one array per column, inserted in array order (so ids increase in that
-- order). The store appends either `RETURNING …` (a plain insert: a stored or repeated
-- (source, external_id) is an error) or `ON CONFLICT … DO NOTHING RETURNING …` (such a key is
-- skipped); both answer each created row's id and key.
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
