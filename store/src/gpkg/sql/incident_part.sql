SELECT rows FROM incident_parts WHERE part = ?1
