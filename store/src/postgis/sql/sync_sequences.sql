-- Rows written with explicit ids: move the sequences past them.
SELECT setval(pg_get_serial_sequence('resources', 'id'), COALESCE((SELECT max(id) FROM resources), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('officers', 'id'), COALESCE((SELECT max(id) FROM officers), 0) + 1, false);
