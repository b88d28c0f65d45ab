UPDATE incidents SET status = ?1 WHERE fid = ?2
