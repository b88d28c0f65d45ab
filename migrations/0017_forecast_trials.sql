-- Forecast trials (预测方法回测, #32): a county's forecast methods backtested on its own incidents
-- are live-log events of one more desk kind, `forecast_trial` (folded by model::desk_book).
ALTER TABLE live_events DROP CONSTRAINT live_events_kind_check;
ALTER TABLE live_events ADD CONSTRAINT live_events_kind_check CHECK (kind IN (
  'incident', 'incident_changed', 'incident_linked', 'unit', 'alert', 'alert_acked',
  'assignment', 'visit', 'dispute', 'dispute_changed', 'backlog_case', 'campaign', 'screening',
  'petition', 'petition_changed', 'reception', 'forecast_trial'));
