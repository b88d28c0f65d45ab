SELECT count(*) FROM incidents WHERE fid BETWEEN ?1 AND ?2
