INSERT INTO incidents (
  geom, source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
  reporter_name, reporter_phone, severity, status, county_code, township_code, village_code, cell_code
) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
ON CONFLICT DO NOTHING
