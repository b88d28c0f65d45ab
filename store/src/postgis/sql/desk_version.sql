-- The newest seq of the given kinds about a desk subject (0: none). Run under live_lock.
SELECT COALESCE(max(seq), 0) FROM live_events WHERE subject = $1 AND kind = ANY($2)
