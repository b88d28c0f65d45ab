SELECT seq, at, kind, subject, cell_code, category, actor, data, span
FROM live_events WHERE at >= $1 AND kind = ANY($2::text[]) ORDER BY seq
