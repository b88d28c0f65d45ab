SELECT COALESCE(MAX(seq), 0) FROM live_events
