INSERT INTO regions (geom, code, name, level, parent_code, population, households, synthetic)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
