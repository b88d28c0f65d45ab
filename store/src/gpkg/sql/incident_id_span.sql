SELECT min(fid), max(fid) FROM incidents
