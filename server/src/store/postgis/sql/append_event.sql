-- One live-log row holding $8 events (model::live::LogRow): its seq is the last of $8 seqs taken
-- from the sequence at once (the caller holds the live lock, so seq order is commit order).
INSERT INTO live_events (seq, at, kind, subject, cell_code, category, actor, data, span)
VALUES (
  setval(pg_get_serial_sequence('live_events', 'seq'), nextval(pg_get_serial_sequence('live_events', 'seq')) + $8::integer - 1),
  $1, $2, $3, $4, $5, $6, $7, $8::integer
)
RETURNING seq
