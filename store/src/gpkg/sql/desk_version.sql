SELECT COALESCE(MAX(seq), 0) FROM live_events WHERE subject = ?1 AND kind IN ({kinds})
