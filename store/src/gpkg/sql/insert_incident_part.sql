INSERT OR REPLACE INTO incident_parts (part, rows) VALUES (?1, ?2)
