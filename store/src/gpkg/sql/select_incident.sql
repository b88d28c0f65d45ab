SELECT fid, geom, source, external_id, category, subcategory, occurred_at, reported_at, address, summary,
       reporter_name, reporter_phone, severity, status, cell_code
FROM incidents
