-- The live log (#6): every change the command centre watches — a new incident, a status change,
-- a unit's position, an alert and its acknowledgement — numbered in commit order. Writers take
-- the advisory lock LIVE_LOCK (see server/src/store/postgis/sql/live_lock.sql) before appending,
-- so `seq` order is commit order and a reader never skips a late-committing smaller seq.
CREATE TABLE live_events (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('incident', 'incident_changed', 'incident_linked', 'unit', 'alert', 'alert_acked')),
  subject bigint NOT NULL,
  cell_code text,
  category text,
  actor text,
  data text NOT NULL
);
CREATE INDEX live_events_subject ON live_events (kind, subject, seq);
CREATE INDEX live_events_at ON live_events (at);
