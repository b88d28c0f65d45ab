SELECT COALESCE(MAX(subject), 0) + 1 FROM live_events WHERE kind = ?1
