SELECT fid, name, badge, station_id FROM officers ORDER BY fid
