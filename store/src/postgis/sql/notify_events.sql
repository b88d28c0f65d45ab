-- Tells every instance (LISTEN safegrid_events) the newest seq a committed write appended;
-- delivered only if the transaction commits.
SELECT pg_notify('safegrid_events', $1)
