SELECT fid, geom, kind, name, region_code, subtype, heading_deg, fov_deg, range_m FROM resources ORDER BY fid
