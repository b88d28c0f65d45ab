SELECT COALESCE(MAX(version), 0) + 1 FROM world_versions
