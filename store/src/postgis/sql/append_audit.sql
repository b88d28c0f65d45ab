-- Audit entries, one array per column, appended in array order.
INSERT INTO audit (at, actor, role, action, target, source, result, detail)
SELECT clock_timestamp(), actor, role, action, target, source, result, detail
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
  WITH ORDINALITY AS given (actor, role, action, target, source, result, detail, ord)
ORDER BY ord
