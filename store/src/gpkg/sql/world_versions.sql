SELECT version, published_at, published_by, note, changes FROM world_versions ORDER BY version
