-- Everything replace_world rewrites (users, sessions and the audit log stay).
TRUNCATE mediators, departments, officer_villages, officers, resources, desk_photos, live_events, incidents, incident_keys, cells, regions;
DELETE FROM safegrid_meta WHERE key = 'demo_truth';
