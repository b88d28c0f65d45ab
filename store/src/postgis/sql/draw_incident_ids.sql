-- $1 new incident ids, drawn before a batch is inserted with them (`insert_incidents`), so
-- that the batch's live-log events are derived while the database inserts.
SELECT array_agg(nextval('incidents_id_seq')) FROM generate_series(1, $1::integer)
