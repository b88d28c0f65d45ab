SELECT world FROM world_versions WHERE version = $1
