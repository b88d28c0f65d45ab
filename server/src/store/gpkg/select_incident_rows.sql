SELECT fid, geom, source, category, subcategory, occurred_at, reported_at, severity, status, cell_code
FROM incidents
WHERE fid BETWEEN ?1 AND ?2
ORDER BY fid
