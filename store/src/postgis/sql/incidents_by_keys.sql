-- The stored incidents under the given idempotency keys ($1 sources, $2 external ids, pairwise).
SELECT i.id, ST_X(i.geom), ST_Y(i.geom), i.source, i.external_id, i.category, i.subcategory, i.occurred_at,
       i.reported_at, i.address, i.summary, i.reporter_name, i.reporter_phone, i.severity, i.status, i.cell_code
FROM unnest($1::text[], $2::text[]) AS given (source, external_id)
JOIN incident_keys k USING (source, external_id)
JOIN incidents i ON i.id = k.id
