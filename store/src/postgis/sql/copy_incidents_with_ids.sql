COPY incidents (id, geom, source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
  reporter_name, reporter_phone, severity, status, county_code, township_code, village_code, cell_code)
FROM STDIN (FORMAT binary)
