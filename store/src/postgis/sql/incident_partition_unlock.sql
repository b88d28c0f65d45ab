SELECT pg_advisory_unlock(1517183268, hashtext($1))
