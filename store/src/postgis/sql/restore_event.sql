INSERT INTO live_events (seq, at, kind, subject, cell_code, category, actor, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
