WHERE fid = ?1
