-- The first staged row whose (source, external_id) is repeated earlier in the load (`first`) or
-- already stored (`existing`) with a different report: the fields NewIncident::same_report
-- compares (times to the millisecond, positions to 1e-7 degrees).
SELECT ord, first, existing FROM (
  SELECT b.ord, a.ord AS first, NULL::bigint AS existing
  FROM incidents_staging a JOIN incidents_staging b
    ON a.source = b.source AND a.external_id = b.external_id AND a.ord < b.ord
  WHERE (a.category, a.subcategory, date_trunc('milliseconds', a.occurred_at), a.address, a.summary,
         a.reporter_name, a.reporter_phone)
        IS DISTINCT FROM (b.category, b.subcategory, date_trunc('milliseconds', b.occurred_at), b.address, b.summary,
         b.reporter_name, b.reporter_phone)
     OR abs(ST_X(a.geom) - ST_X(b.geom)) >= 1e-7 OR abs(ST_Y(a.geom) - ST_Y(b.geom)) >= 1e-7
  UNION ALL
  SELECT b.ord, NULL, a.id
  FROM incidents_staging b
  JOIN incident_keys k ON k.source = b.source AND k.external_id = b.external_id
  JOIN incidents a ON a.id = k.id
  WHERE (a.category, a.subcategory, date_trunc('milliseconds', a.occurred_at), a.address, a.summary,
         a.reporter_name, a.reporter_phone)
        IS DISTINCT FROM (b.category, b.subcategory, date_trunc('milliseconds', b.occurred_at), b.address, b.summary,
         b.reporter_name, b.reporter_phone)
     OR abs(ST_X(a.geom) - ST_X(b.geom)) >= 1e-7 OR abs(ST_Y(a.geom) - ST_Y(b.geom)) >= 1e-7
) clashes
ORDER BY ord, first
LIMIT 1
