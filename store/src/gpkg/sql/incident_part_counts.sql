SELECT fid >> ?1, count(*) FROM incidents WHERE fid BETWEEN ?2 AND ?3 GROUP BY 1
