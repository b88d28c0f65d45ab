DELETE FROM world_versions
