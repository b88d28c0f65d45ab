INSERT INTO cells (geom, code, village_code, name, population, synthetic) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
