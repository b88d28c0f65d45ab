SELECT seq, at, kind, subject, cell_code, category, actor, data, span
FROM live_events WHERE kind = $1 AND subject = $2 ORDER BY seq
