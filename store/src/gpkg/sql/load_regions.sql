SELECT geom, code, name, level, parent_code, population, households, synthetic FROM regions ORDER BY code
