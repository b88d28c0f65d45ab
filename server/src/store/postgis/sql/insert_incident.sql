-- One incident; nothing (no row returned) when its (source, external_id) is already stored.
INSERT INTO incidents (
  geom, source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
  reporter_name, reporter_phone, severity, status, county_code, township_code, village_code, cell_code
) VALUES (ST_SetSRID(ST_MakePoint($1, $2), 4326), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (source, external_id) WHERE external_id IS NOT NULL DO NOTHING
RETURNING id
