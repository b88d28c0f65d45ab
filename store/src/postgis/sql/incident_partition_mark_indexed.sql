UPDATE incident_partitions SET indexed = true WHERE name = $1
