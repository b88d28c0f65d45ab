SELECT part, substr(rows, 1, ?1) FROM incident_parts
