WHERE external_id = ?1 OR address LIKE ?2 ESCAPE '\' OR summary LIKE ?2 ESCAPE '\'
ORDER BY occurred_at DESC, fid DESC
LIMIT ?3
