-- The village desk (#9): its records are live-log events of five more kinds (assignment, visit,
-- dispute, dispute_changed, backlog_case; folded by model::desk_book), and a visit's photo is
-- stored with it, keyed by the record's seq.
ALTER TABLE live_events DROP CONSTRAINT live_events_kind_check;
ALTER TABLE live_events ADD CONSTRAINT live_events_kind_check CHECK (kind IN (
  'incident', 'incident_changed', 'incident_linked', 'unit', 'alert', 'alert_acked',
  'assignment', 'visit', 'dispute', 'dispute_changed', 'backlog_case'));

CREATE TABLE desk_photos (
  seq bigint PRIMARY KEY REFERENCES live_events (seq),
  content_type text NOT NULL,
  bytes bytea NOT NULL
);
