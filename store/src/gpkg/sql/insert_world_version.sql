INSERT INTO world_versions (version, published_at, published_by, note, changes, world) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
