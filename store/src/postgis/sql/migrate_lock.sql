-- Held while migrating, so instances starting together do not race.
SELECT pg_advisory_xact_lock($1)
