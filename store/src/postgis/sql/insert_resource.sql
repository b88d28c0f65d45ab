INSERT INTO resources (id, geom, kind, prevention, name, region_code, subtype, heading_deg, fov_deg, range_m)
VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, $5, $6, $7, $8, $9, $10, $11)
