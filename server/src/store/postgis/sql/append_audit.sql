INSERT INTO audit (at, actor, role, action, target, source, result, detail)
VALUES (clock_timestamp(), $1, $2, $3, $4, $5, $6, $7)
