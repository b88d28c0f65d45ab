-- Live-log rows (model::live::LogRow), one array per column, appended in array order. A row
-- holding `span` events takes `span` seqs from the sequence at once and is numbered by the last
-- (the caller holds the live lock, so seq order is commit order).
INSERT INTO live_events (seq, at, kind, subject, cell_code, category, actor, data, span)
SELECT setval(pg_get_serial_sequence('live_events', 'seq'),
              nextval(pg_get_serial_sequence('live_events', 'seq')) + span - 1),
       at, kind, subject, cell_code, category, actor, data, span
FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::integer[])
  WITH ORDINALITY AS given (at, kind, subject, cell_code, category, actor, data, span, ord)
ORDER BY ord
RETURNING seq
