SELECT fid FROM incidents WHERE source = ?1 AND external_id = ?2
