INSERT INTO resources (fid, geom, kind, prevention, name, region_code, subtype, heading_deg, fov_deg, range_m)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
