UPDATE incidents SET county_code = ?1, township_code = ?2, village_code = ?3, cell_code = ?4 WHERE fid = ?5
