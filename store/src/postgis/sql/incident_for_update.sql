-- One full record, locked until the transaction ends (a status change reads, checks, writes).
SELECT id, ST_X(geom), ST_Y(geom), source, external_id, category, subcategory, occurred_at, reported_at,
       address, summary, reporter_name, reporter_phone, severity, status, cell_code
FROM incidents WHERE id = $1 FOR UPDATE
