SELECT key, value FROM safegrid_meta ORDER BY key
