WHERE at >= ?1 AND kind IN ({kinds}) ORDER BY seq
