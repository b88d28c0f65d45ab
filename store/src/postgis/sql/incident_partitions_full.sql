-- Partitions whose ids are all drawn ($1: the last id drawn) and whose indexes are not built.
SELECT name FROM incident_partitions WHERE NOT indexed AND hi - 1 <= $1 ORDER BY lo
