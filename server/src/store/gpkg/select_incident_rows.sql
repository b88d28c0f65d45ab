SELECT fid, geom, source, category, subcategory, occurred_at, reported_at, severity, status, cell_code
FROM incidents
ORDER BY fid
