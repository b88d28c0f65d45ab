SELECT fid, geom, source, category, subcategory, occurred_at, reported_at, severity, status, cell_code
FROM incidents
WHERE fid BETWEEN ?1 AND ?2 AND (?3 IS NULL OR occurred_at >= ?3)
ORDER BY fid
