-- Tells every instance (LISTEN safegrid_incidents) which id range a committed write created;
-- delivered only if the transaction commits.
SELECT pg_notify('safegrid_incidents', $1)
