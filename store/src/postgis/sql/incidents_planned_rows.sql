-- How many incidents the planner believes there are: the sum over the parts of incidents
-- (-1: none analyzed nor vacuumed).
SELECT COALESCE(sum(c.reltuples) FILTER (WHERE c.reltuples >= 0), -1)::float8
FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
WHERE h.inhparent = 'incidents'::regclass
