INSERT INTO officers (fid, name, badge, station_id) VALUES (?1, ?2, ?3, ?4)
