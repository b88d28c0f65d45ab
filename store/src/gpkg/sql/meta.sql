SELECT value FROM safegrid_meta WHERE key = ?1
