-- After rows were written with their ids: every sequence continues past the largest id.
SELECT setval(pg_get_serial_sequence('incidents', 'id'), COALESCE((SELECT max(id) FROM incidents), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('users', 'id'), COALESCE((SELECT max(id) FROM users), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('audit', 'id'), COALESCE((SELECT max(id) FROM audit), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('resources', 'id'), COALESCE((SELECT max(id) FROM resources), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('officers', 'id'), COALESCE((SELECT max(id) FROM officers), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('live_events', 'seq'), COALESCE((SELECT max(seq) FROM live_events), 0) + 1, false);
