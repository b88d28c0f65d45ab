INSERT INTO cells (geom, code, village_code, name, population, synthetic)
VALUES (ST_Multi(ST_GeomFromWKB($1, 4326)), $2, $3, $4, $5, $6)
