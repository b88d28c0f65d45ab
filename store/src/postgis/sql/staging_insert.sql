-- Staged rows into incidents in load order, with their keys; keys already stored (or repeated
-- earlier in the load) are skipped (the clash check ran first, so they carry the same report).
-- Ids are drawn in load order for every row; those of skipped rows are left unused. Answers how
-- many were created and their id range.
WITH given AS MATERIALIZED (
  SELECT nextval('incidents_id_seq') AS id, *
  FROM (SELECT * FROM incidents_staging ORDER BY ord) in_order
), keyed AS (
  INSERT INTO incident_keys (source, external_id, id)
  SELECT source, external_id, id FROM given WHERE external_id IS NOT NULL ORDER BY id
  ON CONFLICT DO NOTHING
  RETURNING id
), inserted AS (
  INSERT INTO incidents (id, geom, source, external_id, category, subcategory, occurred_at, reported_at,
    address, summary, reporter_name, reporter_phone, severity, status,
    county_code, township_code, village_code, cell_code)
  SELECT id, geom, source, external_id, category, subcategory, occurred_at, reported_at,
    address, summary, reporter_name, reporter_phone, severity, status,
    county_code, township_code, village_code, cell_code
  FROM given
  WHERE external_id IS NULL OR id IN (SELECT id FROM keyed)
  ORDER BY id
  RETURNING id)
SELECT count(*), min(id), max(id) FROM inserted
