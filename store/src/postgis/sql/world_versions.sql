SELECT version, to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), published_by, note, changes
FROM world_versions ORDER BY version
