SELECT id, name, badge, station_id FROM officers ORDER BY id
