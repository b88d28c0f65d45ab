-- Partitions ahead of the ids drawn (migration 0018): $1 more ids, and with $2 every id below it
-- in one partition first. Answers the end of the last partition, the ids a partition holds, the
-- end of the first partition whose indexes are not built (NULL: none), and the last id drawn.
SELECT * FROM safegrid_ensure_incident_partitions($1, $2)
