WHERE kind = ?1 AND subject = ?2 ORDER BY seq
