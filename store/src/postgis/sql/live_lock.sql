-- Serialises writers of the live log until their transaction ends, so `seq` order is commit
-- order: a reader that has seen seq N never later finds a committed event below N.
SELECT pg_advisory_xact_lock(1516077411)
