-- A new desk subject's id (a dispute's): one past the largest of its kind. Run under live_lock.
SELECT COALESCE(max(subject), 0) + 1 FROM live_events WHERE kind = $1
