INSERT INTO audit (id, at, actor, role, action, target, source, result, detail)
VALUES ($1, $2::text::timestamptz, $3, $4, $5, $6, $7, $8, $9)
