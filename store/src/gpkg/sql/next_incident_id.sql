SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0),
           COALESCE((SELECT max(fid) FROM incidents), 0))
