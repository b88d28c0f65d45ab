-- Leaders' receptions and visits of petitioners (接访下访, #30) are live-log events of one more
-- desk kind, `reception` (folded by model::desk_book with the village desk's records).
ALTER TABLE live_events DROP CONSTRAINT live_events_kind_check;
ALTER TABLE live_events ADD CONSTRAINT live_events_kind_check CHECK (kind IN (
  'incident', 'incident_changed', 'incident_linked', 'unit', 'alert', 'alert_acked',
  'assignment', 'visit', 'dispute', 'dispute_changed', 'backlog_case', 'campaign', 'screening',
  'petition', 'petition_changed', 'reception'));
