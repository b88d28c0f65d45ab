-- The lock of one partition's index build ($1 its name), not waited for: another instance
-- holding it is building that partition.
SELECT pg_try_advisory_lock(1517183268, hashtext($1))
