-- How many incidents the planner believes there are (-1: never analyzed nor vacuumed).
SELECT reltuples::float8 FROM pg_class WHERE oid = 'incidents'::regclass
