INSERT INTO regions (geom, code, name, level, parent_code, population, households, synthetic)
VALUES (ST_Multi(ST_GeomFromWKB($1, 4326)), $2, $3, $4, $5, $6, $7, $8)
