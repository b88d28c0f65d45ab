SELECT indexed FROM incident_partitions WHERE name = $1
