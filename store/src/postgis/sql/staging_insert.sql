-- Staged rows into incidents in load order; keys already stored are skipped (the clash check ran
-- first, so they carry the same report). Answers how many were created and their id range.
WITH inserted AS (
  INSERT INTO incidents (geom, source, external_id, category, subcategory, occurred_at, reported_at,
    address, summary, reporter_name, reporter_phone, severity, status,
    county_code, township_code, village_code, cell_code)
  SELECT geom, source, external_id, category, subcategory, occurred_at, reported_at,
    address, summary, reporter_name, reporter_phone, severity, status,
    county_code, township_code, village_code, cell_code
  FROM incidents_staging ORDER BY ord
  ON CONFLICT (source, external_id) WHERE external_id IS NOT NULL DO NOTHING
  RETURNING id)
SELECT count(*), min(id), max(id) FROM inserted
