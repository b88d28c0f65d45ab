-- $1 consecutive live-log seqs at once: answers the last. The caller holds the live lock, and
-- every writer of the log draws seqs under it, so no other draws in between.
SELECT setval(pg_get_serial_sequence('live_events', 'seq'),
              nextval(pg_get_serial_sequence('live_events', 'seq')) + $1::bigint - 1)
