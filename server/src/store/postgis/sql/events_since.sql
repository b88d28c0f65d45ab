SELECT seq, at, kind, subject, cell_code, category, actor, data
FROM live_events WHERE at >= $1 AND kind = ANY($2::text[]) ORDER BY seq
